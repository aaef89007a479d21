// Command pulumi-resource-tls is the `tls` resource provider plugin. It embeds the files
// pulumi-tfgen-tls generated into this directory (build.sh runs it in a copy outside the repo).
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	tls "dify.local/tools/pulumi/tls"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pf.Main(context.Background(), "tls", tls.Provider(metadata), pf.ProviderMetadata{PackageSchema: schema})
}
