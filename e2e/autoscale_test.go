package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// autoscaleJob is a service job whose group "burn" (count, min 1, max 3)
// runs a raw_exec task that spins while the host file load exists and
// sleeps after, with a CPU target of 50% of its 100 MHz, evaluated every
// 2s with a 2s cooldown.
func autoscaleJob(id string, count int, load string) string {
	script := fmt.Sprintf("while [ -e %s ]; do :; done; exec sleep 100000", load)
	return fmt.Sprintf(`
job %q {
  datacenters = ["dc1"]
  group "burn" {
    count = %d
    scaling {
      enabled = true
      min     = 1
      max     = 3
      policy {
        cooldown            = "2s"
        evaluation_interval = "2s"
        check "cpu" {
          source = "nomad-apm"
          query  = "avg_cpu-allocated"
          strategy "target-value" {
            target = 50
          }
        }
      }
    }
    task "spin" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`, id, count, script)
}

// TestAutoscaleCPUTarget drives the built-in autoscaler on a real dev
// agent: a group whose tasks burn CPU scales up to its max (never past
// it), and back down to its min once the load stops, each decision a
// scaling event with its reason; job scale changes the count and records
// its event; counts outside min and max are refused on job run and job
// scale; the policy is listed by the API (decoded with Nomad's api types)
// and the scaling CLI.
func TestAutoscaleCPUTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := "http://" + a.HTTPAddr()
	dir := t.TempDir()
	load := filepath.Join(dir, "load")
	if err := os.WriteFile(load, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(load) }) // stops every spinning task
	jobFile := filepath.Join(dir, "burn.hcl")
	if err := os.WriteFile(jobFile, []byte(autoscaleJob("burn", 1, load)), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		n := 2 // the command's words before its flags
		if args[0] == "scaling" {
			n = 3
		}
		args = append(append(append([]string{}, args[:n]...), "-address", addr), args[n:]...)
		code, out := runCLI(ctx, t, args...)
		if code != want {
			t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	nc, err := napi.NewClient(&napi.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	// desired reads the group's count (Nomad's api) and fails the test
	// if it ever passes max.
	desired := func() int {
		st, _, err := nc.Jobs().ScaleStatus("burn", nil)
		if err != nil {
			t.Logf("scale status: %v", err)
			return -1
		}
		n := st.TaskGroups["burn"].Desired
		if n > 3 || n < 1 {
			t.Fatalf("count %d is outside min 1 and max 3", n)
		}
		return n
	}
	events := func() string {
		return cli(0, "job", "scaling-events", "-verbose", "burn")
	}

	t.Run("count outside min and max is refused", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.hcl")
		if err := os.WriteFile(bad, []byte(autoscaleJob("burn", 5, load)), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := runCLI(ctx, t, "job", "run", "-address", addr, bad)
		if code == 0 || !strings.Contains(out, "bad.hcl:5:13: TaskGroups[burn].Count: 5 is more than the scaling block's max 3") {
			t.Errorf("job run with count 5 = exit %d, want a refusal naming the count:\n%s", code, out)
		}
	})

	cli(0, "job", "run", "-detach", jobFile)
	t.Run("scales up under load, never past max", func(t *testing.T) {
		poll.UntilTrue(t, 90*time.Second, "the autoscaler to scale burn up to 3", func() bool { return desired() == 3 })
		out := events()
		if !strings.Contains(out, "scaling up from 1 to") || !strings.Contains(out, `check "cpu": avg_cpu-allocated`) {
			t.Errorf("scaling events lack the autoscaler's decision and reason:\n%s", out)
		}
	})
	if err := os.Remove(load); err != nil {
		t.Fatal(err)
	}
	t.Run("scales down when the load stops, never under min", func(t *testing.T) {
		poll.UntilTrue(t, 90*time.Second, "the autoscaler to scale burn down to 1", func() bool { return desired() == 1 })
		if out := events(); !strings.Contains(out, "scaling down from") {
			t.Errorf("scaling events lack the scale down:\n%s", out)
		}
	})
	t.Run("job scale changes the count and records the event", func(t *testing.T) {
		code, out := runCLI(ctx, t, "job", "scale", "-address", addr, "burn", "burn", "4")
		if code == 0 || !strings.Contains(out, "TaskGroups[burn].Count: 4 is more than the scaling block's max 3") {
			t.Errorf("job scale 4 (over max) = exit %d:\n%s", code, out)
		}
		cli(0, "job", "scale", "-detach", "burn", "burn", "2")
		if out := events(); !strings.Contains(out, "submitted using the nomadlike CLI") {
			t.Errorf("scaling events lack job scale's event:\n%s", out)
		}
	})
	t.Run("policies through the API and CLI", func(t *testing.T) {
		list, _, err := nc.Scaling().ListPolicies(nil)
		if err != nil || len(list) != 1 || list[0].Target["Group"] != "burn" || !list[0].Enabled || list[0].Type != "horizontal" {
			t.Fatalf("ListPolicies = %+v, %v", list, err)
		}
		p, _, err := nc.Scaling().GetPolicy(list[0].ID, nil)
		if err != nil || p.Max == nil || *p.Max != 3 || p.Min == nil || *p.Min != 1 || p.Policy["evaluation_interval"] != "2s" {
			t.Fatalf("GetPolicy = %+v, %v", p, err)
		}
		if out := cli(0, "scaling", "policy", "list"); !strings.Contains(out, list[0].ID) || !strings.Contains(out, "Group:burn") {
			t.Errorf("scaling policy list:\n%s", out)
		}
		if out := cli(0, "scaling", "policy", "info", list[0].ID); !strings.Contains(out, "avg_cpu-allocated") {
			t.Errorf("scaling policy info:\n%s", out)
		}
	})
}
