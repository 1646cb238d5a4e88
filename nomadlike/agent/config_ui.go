package agent

import (
	"github.com/hashicorp/hcl/v2"
)

// UIConfig is Nomad's ui block (web UI, issue #18).
type UIConfig struct {
	// Enabled serves the web UI at /ui/ (and redirects / to it). Default
	// true, as Nomad's; false answers /ui/ with 404 and / goes to the API.
	Enabled bool
}

// fileUI is the ui { } block of a config file.
type fileUI struct {
	Enabled *bool `hcl:"enabled,optional"`
	// Remain holds Nomad's other ui settings: accepted with a warning
	// (uiNoEffect); anything else is an error.
	Remain hcl.Body `hcl:",remain"`
}

// uiNoEffect are Nomad's ui settings nomadlike accepts and warns about.
var uiNoEffect = hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "show_cli_hints"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "content_security_policy"}, {Type: "consul"}, {Type: "vault"}, {Type: "label"},
	},
}

const whyUINoEffect = "the UI has a fixed, strict Content-Security-Policy and no Consul, Vault or label settings"

// applyUI sets cfg.UI from f and warns (file:line:col) about each Nomad
// ui setting without effect here; an unknown one is an error.
func applyUI(cfg *Config, f *fileUI) hcl.Diagnostics {
	if f.Enabled != nil {
		cfg.UI.Enabled = *f.Enabled
	}
	if f.Remain == nil {
		return nil
	}
	content, diags := f.Remain.Content(&uiNoEffect)
	if content == nil {
		return diags
	}
	for name, a := range content.Attributes {
		cfg.Warnings = append(cfg.Warnings, noEffectWarning(a.NameRange, "ui."+name, whyUINoEffect))
	}
	for _, b := range content.Blocks {
		cfg.Warnings = append(cfg.Warnings, noEffectWarning(b.TypeRange, "ui."+b.Type, whyUINoEffect))
	}
	return diags
}
