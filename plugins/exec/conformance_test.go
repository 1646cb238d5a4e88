package exec

import (
	"encoding/json"
	"os"
	osexec "os/exec"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/drivertest"
)

// buildNomadlike builds the nomadlike binary, whose hidden "driver exec"
// command serves this driver: the suite then runs against the real plugin
// the client agent starts, init hook included.
func buildNomadlike(t *testing.T) string {
	t.Helper()
	goBin, err := osexec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain to build nomadlike: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "nomadlike")
	cmd := osexec.Command(goBin, "build", "-o", bin, "github.com/nomadlike/nomadlike")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build nomadlike: %v\n%s", err, out)
	}
	return bin
}

// TestConformance runs the driver suite against "nomadlike driver exec".
func TestConformance(t *testing.T) {
	requireRoot(t)
	if testing.Short() {
		t.Skip("builds the nomadlike binary")
	}
	bin := buildNomadlike(t)
	pluginConfig, err := json.Marshal(PluginConfig{CgroupParent: testCgroupParent})
	if err != nil {
		t.Fatal(err)
	}
	drivertest.Run(t, drivertest.Harness{
		Plugin: drivers.PluginSpec{
			Name:    Name,
			Command: bin,
			Args:    []string{"driver", Name},
		},
		PluginConfig: pluginConfig,
		ShellTask: func(script string) json.RawMessage {
			b, _ := json.Marshal(TaskConfig{Command: "/bin/sh", Args: []string{"-c", script}})
			return b
		},
		BadConfig: json.RawMessage(`{"comand": "/bin/true"}`),
		BadField:  `config.comand: unknown key (did you mean "command"?)`,
	})
}
