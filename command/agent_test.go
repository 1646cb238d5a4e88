package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAgentConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte("server {\n  enabled = true\n  bootstrap_expect = \"three\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.hcl")
	if err := os.WriteFile(unknown, []byte("data_dir = \"/tmp/x\"\nclient {\n  enabeld = true\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"wrong type", []string{"-config", bad}, bad + ":3:23: Unsuitable value type"},
		{"unknown field", []string{"-config", unknown}, unknown + ":3:3: Unsupported argument"},
		{"missing file", []string{"-config", filepath.Join(dir, "nope.hcl")}, "nope.hcl"},
		{"no role", []string{"-data-dir", dir}, "neither server nor client is enabled"},
		{"no data dir", []string{"-server"}, "data_dir: must be set"},
		{"bad meta", []string{"-dev", "-meta", "novalue"}, `-meta "novalue": want KEY=VALUE`},
		{"bad log level", []string{"-dev", "-log-level", "loud"}, "log_level"},
		{"client without servers", []string{"-client", "-data-dir", dir}, "client.servers"},
		{"arguments", []string{"-dev", "extra"}, "agent takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := RunWith(append([]string{"nomadlike", "agent"}, tc.args...), &stdout, &stderr)
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("agent %v = %d, stderr %q; want 1 and %q", tc.args, code, stderr.String(), tc.want)
			}
			if strings.Contains(stdout.String(), "agent started") {
				t.Errorf("agent %v started despite the bad configuration", tc.args)
			}
		})
	}
}
