package agent

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigACL(t *testing.T) {
	cases := []struct {
		name, src string
		want      string // error substring after "agent.hcl:"; "" when valid
		check     func(ACLConfig) bool
	}{
		{"defaults", "", "", func(a ACLConfig) bool {
			return !a.Enabled && a.TokenTTL == 30*time.Second && a.PolicyTTL == 30*time.Second
		}},
		{"enabled with TTLs", "acl {\n  enabled = true\n  token_ttl = \"5s\"\n  policy_ttl = \"1m\"\n}\n", "", func(a ACLConfig) bool {
			return a.Enabled && a.TokenTTL == 5*time.Second && a.PolicyTTL == time.Minute && len(a.Warnings) == 0
		}},
		{"expiration bounds", "acl {\n  token_min_expiration_ttl = \"5m\"\n  token_max_expiration_ttl = \"48h\"\n}\n", "", func(a ACLConfig) bool {
			return a.TokenMinExpirationTTL == 5*time.Minute && a.TokenMaxExpirationTTL == 48*time.Hour
		}},
		{"role_ttl warns", "acl {\n  role_ttl = \"1m\"\n}\n", "", func(a ACLConfig) bool {
			return len(a.Warnings) == 1 && strings.Contains(a.Warnings[0], ":2:3: acl.role_ttl has no effect")
		}},
		{"bad duration", "acl {\n  enabled = true\n  token_ttl = \"soon\"\n}\n", "agent.hcl:3:3: Invalid acl.token_ttl", nil},
		{"zero duration", "acl {\n  policy_ttl = \"0s\"\n}\n", "agent.hcl:2:3: Invalid acl.policy_ttl: Must be > 0", nil},
		{"min over max", "acl {\n  token_min_expiration_ttl = \"2h\"\n  token_max_expiration_ttl = \"1h\"\n}\n", "agent.hcl:3:3: Invalid acl.token_max_expiration_ttl", nil},
		{"unknown key", "acl {\n  enabled = true\n  tokens_ttl = \"5s\"\n}\n", "agent.hcl:3:3: Unsupported argument", nil},
		{"enabled not a bool", "acl {\n  enabled = \"yes please\"\n}\n", "agent.hcl:2:", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "agent.hcl", tc.src)
			cfg, err := LoadConfig(DefaultConfig(), []string{p})
			if tc.want == "" {
				if err != nil || !tc.check(cfg.ACL) {
					t.Fatalf("LoadConfig(%q) = %+v, %v; not as expected", tc.src, cfg.ACL, err)
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
