// Package shim hands the Terraform random provider (plugin framework) to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	random "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the Terraform provider the bridge wraps.
func NewProvider() provider.Provider { return random.New() }
