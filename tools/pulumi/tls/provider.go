// Package tls bridges the Terraform tls provider to Pulumi as the `tls` package.
//
// The Go module proxy we may use refuses github.com/pulumi/pulumi-tls/provider/v5 (and v4) at
// every version ("403 This module version is not available"), so this module builds the same
// provider from what it does serve, as tools/pulumi/random does for random: the Terraform tls
// provider and pulumi-terraform-bridge v3.137.0 (what pulumi-tls 5.6.x builds with). pulumi-tls
// 5.6.x pins the terraform-provider-tls v4.3.0 commit (v1.2.1-0.20260513075833-609226f53114),
// which the proxy refuses; the v4.2.1 commit it pinned before (v1.2.1-0.20260130152455-857b38cda3fc)
// is served and is the one used here. The Python SDK (pulumi-tls==5.6.2) addresses resources by
// token, so the tokens are the published ones, pulumi-tls's provider/resources.go scheme: every
// `tls_<name>` resource is `tls:index/<name>:<Name>` (tls_private_key →
// tls:index/privateKey:PrivateKey, tls_self_signed_cert → tls:index/selfSignedCert:SelfSignedCert).
package tls

import (
	"github.com/hashicorp/terraform-provider-tls/shim"
	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
)

// Version is the plugin version, stamped by tools/pulumi/build.sh (-ldflags -X).
var Version = "0.0.1"

// Provider describes the bridged provider. metadata is the bridge-metadata.json tfgen wrote
// (nil when tfgen itself runs).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "tls",
		Description:  "TLS keys and certificates for Pulumi programs, bridged from the Terraform tls provider.",
		License:      "Apache-2.0",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		// As the published provider: schema versions start at 0 and previews are computed the
		// bridge's newer way (pulumi-tls provider/resources.go sets both).
		EnableZeroDefaultSchemaVersion: true,
		EnableAccurateBridgePreview:    true,
	}
	info.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	return info
}
