package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// apisJobFile is a raw_exec service job of one allocation that prints a
// line and sleeps.
const apisJobFile = `
job "apis" {
  datacenters = ["dc1"]
  group "g" {
    count = 1
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello-apis; exec sleep 300"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// TestAPIsCLI drives a real dev agent with the top-level shortcuts (run,
// validate, plan, inspect, logs, stop), job allocs, job scale (the count
// goes through the scheduler: the new allocations run), job
// scaling-events and -region / NOMAD_REGION, then reads the same through
// Nomad's api client (ScaleStatus, Regions, Agent().Members).
func TestAPIsCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := "http://" + a.HTTPAddr()
	file := filepath.Join(t.TempDir(), "apis.nomad.hcl")
	if err := os.WriteFile(file, []byte(apisJobFile), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		code, out := runCLI(ctx, t, args...)
		if code != want {
			t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	cli(0, "validate", file)
	cli(1, "plan", "-address", addr, file) // 1: changes
	cli(0, "run", "-address", addr, file)
	if out := cli(0, "inspect", "-address", addr, "apis"); !strings.Contains(out, `"ID": "apis"`) {
		t.Fatalf("inspect = %s", out)
	}
	running := func(n int) func() bool {
		return func() bool {
			allocs, _, err := a.client.Jobs().Allocations(ctx, "apis", false, nil)
			if err != nil {
				return false
			}
			got := 0
			for _, al := range allocs {
				if al.ClientStatus == nomadlike.AllocClientStatusRunning {
					got++
				}
			}
			return got == n
		}
	}
	poll.UntilTrue(t, 60*time.Second, "one running allocation", running(1))
	out := cli(0, "job", "allocs", "-address", addr, "-verbose", "apis")
	if !strings.HasPrefix(out, "ID") || !strings.Contains(out, "Node ID") || !strings.Contains(out, "running") {
		t.Fatalf("job allocs = %s", out)
	}
	allocID := strings.Fields(strings.Split(out, "\n")[1])[0]
	poll.UntilTrue(t, 30*time.Second, "the task's line in logs", func() bool {
		code, out := runCLI(ctx, t, "logs", "-address", addr, allocID, "t")
		return code == 0 && strings.Contains(out, "hello-apis")
	})

	// Scale up through the scheduler, then down naming the group.
	if out := cli(0, "job", "scale", "-address", addr, "apis", "3"); !strings.Contains(out, "Monitoring evaluation") {
		t.Fatalf("job scale = %s", out)
	}
	poll.UntilTrue(t, 60*time.Second, "three running allocations", running(3))
	cli(0, "job", "scale", "-address", addr, "-detach", "apis", "g", "2")
	poll.UntilTrue(t, 60*time.Second, "two running allocations", running(2))
	if out := cli(1, "job", "scale", "-address", addr, "apis", "nope", "2"); !strings.Contains(out, `no task group "nope"`) {
		t.Fatalf("job scale of an unknown group = %s", out)
	}
	out = cli(0, "job", "scaling-events", "-address", addr, "-verbose", "apis")
	if strings.Count(out, "submitted using the nomadlike CLI") != 2 || !strings.Contains(out, "PrevCount") {
		t.Fatalf("job scaling-events = %s", out)
	}

	// -region: the agent's own is accepted, another refused.
	cli(0, "job", "status", "-address", addr, "-region", "global", "apis")
	if out := cli(1, "job", "status", "-address", addr, "-region", "west", "apis"); !strings.Contains(out, `No path to region "west"`) {
		t.Fatalf("job status -region west = %s", out)
	}
	t.Setenv("NOMAD_REGION", "west")
	if out := cli(1, "status", "-address", addr); !strings.Contains(out, "No path to region") {
		t.Fatalf("status with NOMAD_REGION=west = %s", out)
	}
	os.Unsetenv("NOMAD_REGION")

	// The same through Nomad's client.
	nc, err := napi.NewClient(&napi.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := nc.Jobs().ScaleStatus("apis", nil)
	if err != nil || st.TaskGroups["g"].Desired != 2 || st.TaskGroups["g"].Running != 2 || len(st.TaskGroups["g"].Events) != 2 {
		t.Fatalf("ScaleStatus = %+v, %v", st, err)
	}
	if ev := st.TaskGroups["g"].Events[0]; ev.Count == nil || *ev.Count != 2 || ev.PreviousCount != 3 || ev.EvalID == nil {
		t.Fatalf("newest scaling event = %+v", ev)
	}
	if regions, err := nc.Regions().List(); err != nil || len(regions) != 1 || regions[0] != "global" {
		t.Fatalf("Regions().List() = %v, %v", regions, err)
	}
	m, err := nc.Agent().Members()
	if err != nil || m.ServerRegion != "global" || len(m.Members) != 1 || m.Members[0].Status != "alive" || m.Members[0].Port == 0 {
		t.Fatalf("Agent().Members() = %+v, %v", m, err)
	}
	job, err := nc.Jobs().ParseHCL(apisJobFile, true)
	if err != nil || *job.ID != "apis" {
		t.Fatalf("ParseHCL = %+v, %v", job, err)
	}

	cli(0, "stop", "-address", addr, "-purge", "apis")
	poll.UntilTrue(t, 30*time.Second, "job purged", func() bool {
		_, _, err := a.client.Jobs().Info(ctx, "apis", nil)
		return err != nil && strings.Contains(err.Error(), "404")
	})
}
