// Command pulumi-tfgen-random writes the schema.json and bridge-metadata.json that
// pulumi-resource-random embeds (`pulumi-tfgen-random schema --out cmd/pulumi-resource-random`).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	random "dify.local/tools/pulumi/random"
)

func main() { tfgen.Main("random", random.Provider(nil)) }
