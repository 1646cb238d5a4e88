package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// sdkSchemaHelloJob is a hello-driver job whose config block is CONFIG.
const sdkSchemaHelloJob = `job "greet" {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    task "hi" {
      driver = "hello-driver"
      config {
        CONFIG
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`

// TestSDKSchemaHelloDriver: the out-of-tree example driver, run by a real
// agent from its plugin_dir, publishes its schema (the servers refuse
// sleep = "soon" at job validate and job run) and emits a task event that
// alloc status shows as a "Driver" event. Without the SDK's schema and
// events, validate passes and no Driver event appears.
func TestSDKSchemaHelloDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example driver and starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	pluginDir := buildHelloDriver(ctx, t)
	a := startDevAgent(t, devAgentOptions{config: fmt.Sprintf("plugin_dir = %q\nplugin \"hello-driver\" {\n  config {\n    enabled = true\n  }\n}\n", pluginDir)}, "hello-driver")

	bad := a.writeJob("greet-bad", strings.Replace(sdkSchemaHelloJob, "CONFIG", "message = \"x\"\n        sleep   = \"soon\"", 1))
	for _, verb := range []string{"validate", "run"} {
		code, out := a.cli(ctx, "job", verb, bad)
		if want := `group "g" task "hi" config.sleep: must be a duration like "10s" or "1m30s", got "soon"`; code == 0 || !strings.Contains(out, want) {
			t.Errorf("job %s = exit %d, want a failure with %q:\n%s", verb, code, want, out)
		}
	}

	a.mustCLI(ctx, "job", "run", a.writeJob("greet", strings.Replace(sdkSchemaHelloJob, "CONFIG", "message = \"events\"\n        sleep   = \"200ms\"", 1)))
	alloc := a.waitOneAlloc(ctx, "greet", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Fatalf("alloc = %s, want complete\n%s", alloc.ClientStatus, status)
	}
	if !strings.Contains(status, "Driver") || !strings.Contains(status, "Greeting written") {
		t.Errorf("alloc status lacks the driver's event:\n%s", status)
	}
	full, _, err := a.api().Allocations().Info(ctx, alloc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ev := range full.TaskStates["hi"].Events {
		found = found || ev.Type == nomadlike.TaskEventDriverMessage && ev.DisplayMessage == "Greeting written" && ev.Details["sleep"] == "200ms"
	}
	if !found {
		t.Errorf("API task events lack the Driver event: %+v", full.TaskStates["hi"].Events)
	}
}

// buildHelloDriver builds the example out-of-tree driver from its own
// module into a new plugin_dir and returns the directory.
func buildHelloDriver(ctx context.Context, t *testing.T) string {
	t.Helper()
	pluginDir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(pluginDir, "hello-driver"), ".")
	build.Dir = filepath.Join(repoRoot(t), "drivers", "examples", "hello-driver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build hello-driver: %v\n%s", err, out)
	}
	return pluginDir
}
