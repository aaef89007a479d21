// Command pulumi-resource-random is the `random` resource provider plugin. It embeds the files
// pulumi-tfgen-random generated into this directory (build.sh runs it in a copy outside the repo).
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	random "dify.local/tools/pulumi/random"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pf.Main(context.Background(), "random", random.Provider(metadata), pf.ProviderMetadata{PackageSchema: schema})
}
