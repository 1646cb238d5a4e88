package command

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
)

// TestDriverCommandErrors checks the hidden driver command's argument errors.
func TestDriverCommandErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"nomadlike", "driver"}, "exactly one driver name"},
		{"unknown", []string{"nomadlike", "driver", "nope"}, `unknown built-in driver "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := RunWith(tc.args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("RunWith(%v) = %d, stderr %q; want 1 and %q", tc.args, code, errOut.String(), tc.want)
			}
		})
	}
}

// TestDriverCommandServesRawExec builds the nomadlike binary and launches
// "nomadlike driver raw_exec" as a plugin, as the client agent does.
func TestDriverCommandServesRawExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "nomadlike")
	build := exec.Command("go", "build", "-o", bin, "github.com/nomadlike/nomadlike")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	spec, err := BuiltinDriverSpec(bin, "raw_exec")
	if err != nil {
		t.Fatal(err)
	}
	p, err := drivers.Launch(spec, nil)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(p.Kill)
	d := p.Driver()
	if info := d.Info(); info.Name != "raw_exec" {
		t.Fatalf("Info().Name = %q, want raw_exec", info.Name)
	}
	if err := d.SetConfig(&drivers.PluginConfig{Config: json.RawMessage(`{"enabled": true}`)}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	if err := d.ValidateTaskConfig(json.RawMessage(`{"comand": "x"}`)); err == nil || !strings.Contains(err.Error(), `config.comand: unknown key (did you mean "command"?)`) {
		t.Fatalf("ValidateTaskConfig = %v, want the field named", err)
	}
	if _, err := BuiltinDriverSpec(bin, "nope"); err == nil {
		t.Error("BuiltinDriverSpec(nope) succeeded")
	}
	_ = os.Remove(bin)
}
