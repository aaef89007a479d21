// Package random bridges the Terraform random provider to Pulumi as the `random` package.
//
// The Go module proxy we may use refuses github.com/pulumi/pulumi-random/provider/v4 at every
// version ("403 This module version is not available"), so this module builds the same kind of
// provider from what it does serve: the Terraform random provider (at the commit pulumi-random
// 4.21.x pins) and pulumi-terraform-bridge. The Python SDK (pulumi-random==4.21.4) addresses
// resources by token, so the tokens must be the published ones: every `random_<name>` resource
// is `random:index/random<Name>:Random<Name>` (e.g. random_password →
// random:index/randomPassword:RandomPassword), property names are the bridge's defaults.
package random

import (
	"context"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is the plugin version, stamped by tools/pulumi/build.sh (-ldflags -X).
var Version = "0.0.1"

// Provider describes the bridged provider. metadata is the bridge-metadata.json tfgen wrote
// (nil when tfgen itself runs).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "Randomness for Pulumi programs, bridged from the Terraform random provider.",
		License:      "Apache-2.0",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no `id` attribute: the bridge needs one computed.
			"random_bytes": {ComputeID: bytesID},
		},
		// As the published provider: previews and state deltas computed the bridge's newer way.
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	standard := tokens.MakeStandard("random")
	info.MustComputeTokens(tokens.SingleModule("random_", "index",
		func(module, name string) (string, error) { return standard(module, "Random"+name) }))
	return info
}

func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	value, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes state has no base64 attribute")
	}
	if value.IsSecret() {
		value = value.SecretValue().Element
	}
	if !value.IsString() {
		return "", errors.New("random_bytes base64 attribute is not a string")
	}
	return resource.ID(value.StringValue()), nil
}
