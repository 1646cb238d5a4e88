package agent

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigEncrypt(t *testing.T) {
	cases := []struct {
		name, src string
		want      string // error substring after "agent.hcl:"; "" when valid
	}{
		{"32 bytes", "server {\n  encrypt = \"" + strings.Repeat("A", 43) + "=\"\n}\n", ""},
		{"not base64", "server {\n  encrypt = \"not base64!\"\n}\n", "agent.hcl:2:3: Invalid server.encrypt"},
		{"short", "server {\n  encrypt = \"c2hvcnQ=\"\n}\n", "agent.hcl:2:3: Invalid server.encrypt: The cluster key decodes to 5 bytes"},
		{"previous_encrypt", "server {\n  encrypt = \"" + strings.Repeat("A", 43) + "=\"\n  previous_encrypt = [\"" + strings.Repeat("B", 43) + "=\"]\n}\n", ""},
		{"previous_encrypt short", "server {\n  encrypt = \"" + strings.Repeat("A", 43) + "=\"\n  previous_encrypt = [\"c2hvcnQ=\"]\n}\n",
			"agent.hcl:3:3: Invalid server.previous_encrypt: Element 0: the cluster key decodes to 5 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "agent.hcl", tc.src)
			cfg, err := LoadConfig(DefaultConfig(), []string{p})
			if tc.want == "" {
				if err != nil || len(cfg.Server.Encrypt) != 44 {
					t.Fatalf("LoadConfig = %v (encrypt %q), want the key", err, cfg.Server.Encrypt)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadConfig(%q) = nil error, want %q", tc.src, tc.want)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("LoadConfig(%q) error = %q, want it to contain %q", tc.src, msg, tc.want)
			}
		})
	}
}
