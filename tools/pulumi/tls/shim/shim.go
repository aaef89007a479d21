// Package shim hands the Terraform tls provider (plugin framework) to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	tls "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the Terraform provider the bridge wraps.
func NewProvider() provider.Provider { return tls.New() }
