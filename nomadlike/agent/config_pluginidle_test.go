package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPluginIdleGraceConfig: client.plugin_idle_grace from the file wins,
// else NOMADLIKE_PLUGIN_IDLE_GRACE, else 0 (the client's one-minute
// default); "0" is never (-1); bad values name their place.
func TestPluginIdleGraceConfig(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		env     string // "" unset
		want    time.Duration
		errText string // substring of the error
	}{
		{name: "unset", src: `client { enabled = true }`},
		{name: "file", src: "client {\n  plugin_idle_grace = \"30s\"\n}", want: 30 * time.Second},
		{name: "file zero is never", src: "client {\n  plugin_idle_grace = \"0\"\n}", want: -1},
		{name: "file wins over env", src: "client {\n  plugin_idle_grace = \"2m\"\n}", env: "5s", want: 2 * time.Minute},
		{name: "env", src: `client { enabled = true }`, env: "5s", want: 5 * time.Second},
		{name: "env zero is never", src: `client { enabled = true }`, env: "0s", want: -1},
		{name: "bad file value", src: "client {\n  plugin_idle_grace = \"soon\"\n}", errText: "a.hcl:2:3: Invalid client.plugin_idle_grace"},
		{name: "negative file value", src: "client {\n  plugin_idle_grace = \"-1s\"\n}", errText: "a.hcl:2:3: Invalid client.plugin_idle_grace"},
		{name: "bad env value", src: `client { enabled = true }`, env: "soon", errText: "NOMADLIKE_PLUGIN_IDLE_GRACE: \"soon\" is not a duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(PluginIdleGraceEnv, tc.env)
			}
			path := filepath.Join(t.TempDir(), "a.hcl")
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(DefaultConfig(), []string{path})
			var got time.Duration
			if err == nil {
				got, err = pluginIdleGrace(cfg.Client)
			}
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error = %v, want %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("plugin idle grace = %v, want %v", got, tc.want)
			}
		})
	}
}
