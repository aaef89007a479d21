// Command pulumi-tfgen-tls writes the schema.json and bridge-metadata.json that
// pulumi-resource-tls embeds (`pulumi-tfgen-tls schema --out cmd/pulumi-resource-tls`).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	tls "dify.local/tools/pulumi/tls"
)

func main() { tfgen.Main("tls", tls.Provider(nil)) }
