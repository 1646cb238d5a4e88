package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// sdkSchemaSleepyJob is a sleepy-driver job whose config block is CONFIG.
const sdkSchemaSleepyJob = `job "greet" {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    task "hi" {
      driver = "sleepy"
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

// TestSDKSchemaSleepyDriver: the out-of-tree example driver, run by a real
// agent from its plugin_dir, publishes its schema (the servers refuse
// seconds = "soon" at job validate and job run) and emits a task event that
// alloc status shows as a "Driver" event. Without the SDK's schema and
// events, validate passes and no Driver event appears.
func TestSDKSchemaSleepyDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example driver and starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	pluginDir := buildSleepy(ctx, t)
	a := startDevAgent(t, devAgentOptions{config: sleepyAgentConfig(pluginDir)}, "sleepy")

	bad := a.writeJob("greet-bad", strings.Replace(sdkSchemaSleepyJob, "CONFIG", "seconds = \"soon\"", 1))
	for _, verb := range []string{"validate", "run"} {
		code, out := a.cli(ctx, "job", verb, bad)
		if want := `group "g" task "hi" config.seconds: must be a number, got "soon"`; code == 0 || !strings.Contains(out, want) {
			t.Errorf("job %s = exit %d, want a failure with %q:\n%s", verb, code, want, out)
		}
	}

	a.mustCLI(ctx, "job", "run", a.writeJob("greet", strings.Replace(sdkSchemaSleepyJob, "CONFIG", "line    = \"events\"\n        seconds = 0.2", 1)))
	alloc := a.waitOneAlloc(ctx, "greet", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Fatalf("alloc = %s, want complete\n%s", alloc.ClientStatus, status)
	}
	if !strings.Contains(status, "Driver") || !strings.Contains(status, "Sleeping 200ms") {
		t.Errorf("alloc status lacks the driver's event:\n%s", status)
	}
	full, _, err := a.api().Allocations().Info(ctx, alloc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ev := range full.TaskStates["hi"].Events {
		found = found || ev.Type == nomadlike.TaskEventDriverMessage && ev.DisplayMessage == "Sleeping 200ms" && ev.Details["seconds"] == "0.2"
	}
	if !found {
		t.Errorf("API task events lack the Driver event: %+v", full.TaskStates["hi"].Events)
	}
}
