package agent

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Lazily launched built-in driver plugins (issue #19, idle memory):
// client { plugin_idle_grace = "1m" } is how long a built-in driver's plugin
// process runs with no task before the agent stops it (it is launched again
// on the next task). "0" never stops it. Unset, the agent's environment
// variable PluginIdleGraceEnv sets it, else client.DefaultPluginIdleGrace.

// PluginIdleGraceEnv is the environment variable read when the client block
// has no plugin_idle_grace (same syntax).
const PluginIdleGraceEnv = "NOMADLIKE_PLUGIN_IDLE_GRACE"

func applyPluginIdleGrace(dst *ClientConfig, src *string, rng hcl.Range) hcl.Diagnostics {
	if src == nil {
		return nil
	}
	d, err := parseIdleGrace(*src)
	if err != nil {
		return hcl.Diagnostics{diagAt(rng, "Invalid client.plugin_idle_grace", err.Error()+".")}
	}
	dst.PluginIdleGrace = d
	return nil
}

// parseIdleGrace reads a grace: a duration >= 0, "0" meaning never (-1).
func parseIdleGrace(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like \"1m\" (\"0\" never stops the plugin)", s)
	}
	if d == 0 {
		return -1, nil
	}
	return d, nil
}

// pluginIdleGrace is the client's grace: the config's, else the
// environment's, else 0 (the client's default).
func pluginIdleGrace(c ClientConfig) (time.Duration, error) {
	if c.PluginIdleGrace != 0 {
		return c.PluginIdleGrace, nil
	}
	v, ok := os.LookupEnv(PluginIdleGraceEnv)
	if !ok || v == "" {
		return 0, nil
	}
	d, err := parseIdleGrace(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", PluginIdleGraceEnv, err)
	}
	return d, nil
}
