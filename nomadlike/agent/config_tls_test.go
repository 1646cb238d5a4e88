package agent

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigTLS(t *testing.T) {
	cases := []struct {
		name, src string
		want      string // error substring after "agent.hcl:"; "" when valid
		check     func(TLSConfig) bool
	}{
		{"defaults", "", "", func(c TLSConfig) bool { return !c.Enabled() && !c.VerifyServerHostname && !c.VerifyHTTPSClient }},
		{"all set", "tls {\n  http = true\n  rpc = true\n  ca_file = \"ca.pem\"\n  cert_file = \"c.pem\"\n  key_file = \"k.pem\"\n  verify_server_hostname = true\n  verify_https_client = true\n  tls_min_version = \"tls13\"\n}\n", "", func(c TLSConfig) bool {
			return c.HTTP && c.RPC && c.CAFile == "ca.pem" && c.VerifyServerHostname && c.VerifyHTTPSClient && c.MinVersion == "tls13" && len(c.Warnings) == 0
		}},
		{"rpc_upgrade_mode warns", "tls {\n  rpc = true\n  rpc_upgrade_mode = true\n}\n", "", func(c TLSConfig) bool {
			return len(c.Warnings) == 1 && strings.Contains(c.Warnings[0], ":3:3: tls.rpc_upgrade_mode has no effect")
		}},
		{"cipher suites", "tls {\n  tls_cipher_suites = \"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"\n}\n", "", func(c TLSConfig) bool { return c.CipherSuites != "" }},
		{"bad version", "tls {\n  http = true\n  tls_min_version = \"ssl3\"\n}\n", "agent.hcl:3:3: Invalid tls.tls_min_version", nil},
		{"insecure suite", "tls {\n  tls_cipher_suites = \"TLS_RSA_WITH_RC4_128_SHA\"\n}\n", "agent.hcl:2:3: Invalid tls.tls_cipher_suites", nil},
		{"unknown key", "tls {\n  http = true\n  verify_incoming = true\n}\n", "agent.hcl:3:3: Unsupported argument", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "agent.hcl", tc.src)
			cfg, err := LoadConfig(DefaultConfig(), []string{p})
			if tc.want == "" {
				if err != nil || !tc.check(cfg.TLS) {
					t.Fatalf("LoadConfig(%q) = %+v, %v; not as expected", tc.src, cfg.TLS, err)
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

// Validate names the missing files of an enabled tls block.
func TestValidateTLSFiles(t *testing.T) {
	cfg := DevConfig()
	cfg.TLS = TLSConfig{HTTP: true, CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("valid without certificate files")
	}
	for _, want := range []string{"tls.ca_file:", "tls.cert_file: must be set", "tls.key_file: must be set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
