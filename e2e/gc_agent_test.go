package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// gcJobFile is a raw_exec batch job of two allocations that print a line
// and exit 0.
const gcJobFile = `
job "%s" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    count = 2
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo gc-done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// TestServerGCAgent runs two finished batch jobs on a real agent: `job
// stop -purge` of one removes its allocations at once, and `system gc`
// removes the other (dead, younger than job_gc_threshold) and whatever
// the purge left: afterwards neither job, nor any of their evaluations or
// allocations, is in `job status`, `alloc status`, `eval list`,
// /v1/allocations or /v1/evaluations, while `alloc logs` of each collected
// allocation still prints its output. On the code before the collector,
// the purged job's allocations stayed listed and `system gc` did not
// exist.
func TestServerGCAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := "http://" + a.HTTPAddr()
	cli := func(want int, args ...string) string {
		t.Helper()
		code, out := runCLI(ctx, t, args...)
		if code != want {
			t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	var allocIDs, evalIDs []string
	for _, id := range []string{"gc-kept", "gc-purged"} {
		file := filepath.Join(t.TempDir(), id+".nomad.hcl")
		if err := os.WriteFile(file, []byte(strings.ReplaceAll(gcJobFile, "%s", id)), 0o644); err != nil {
			t.Fatal(err)
		}
		cli(0, "job", "run", "-detach", "-address", addr, file)
		poll.UntilTrue(t, 60*time.Second, id+" complete", func() bool {
			j, _, err := a.client.Jobs().Info(ctx, id, nil)
			if err != nil || j.Status != nomadlike.JobStatusDead {
				return false
			}
			allocs, _, err := a.client.Jobs().Allocations(ctx, id, false, nil)
			done := 0
			for _, al := range allocs {
				if al.ClientStatus == nomadlike.AllocClientStatusComplete {
					done++
				}
			}
			return err == nil && done == 2
		})
		allocs, _, _ := a.client.Jobs().Allocations(ctx, id, false, nil)
		for _, al := range allocs {
			allocIDs = append(allocIDs, al.ID)
		}
		evals, _, _ := a.client.Jobs().Evaluations(ctx, id, nil)
		for _, e := range evals {
			evalIDs = append(evalIDs, e.ID)
		}
	}

	cli(0, "job", "stop", "-purge", "-detach", "-address", addr, "gc-purged")
	allocs, _, err := a.client.Allocations().List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, al := range allocs {
		if al.JobID == "gc-purged" {
			t.Fatalf("after job stop -purge, allocation %s of the purged job is still listed", al.ID)
		}
	}
	// The deregister evaluation completes; then system gc takes the rest.
	poll.UntilTrue(t, 30*time.Second, "no open evaluation", func() bool {
		evals, _, err := a.client.Evaluations().List(ctx, nil)
		if err != nil {
			return false
		}
		for _, e := range evals {
			if !e.TerminalStatus() {
				return false
			}
		}
		return true
	})
	cli(0, "system", "gc", "-address", addr)
	cli(0, "system", "reconcile", "summaries", "-address", addr)

	for _, id := range []string{"gc-kept", "gc-purged"} {
		cli(1, "job", "status", "-address", addr, id)
	}
	for _, id := range allocIDs {
		cli(1, "alloc", "status", "-address", addr, id)
	}
	out := cli(0, "eval", "list", "-address", addr)
	for _, id := range evalIDs {
		if strings.Contains(out, id[:8]) {
			t.Fatalf("eval list still shows %s:\n%s", id, out)
		}
	}
	allocs, _, err = a.client.Allocations().List(ctx, nil)
	if err != nil || len(allocs) != 0 {
		t.Fatalf("/v1/allocations after system gc = %d allocations, %v", len(allocs), err)
	}
	evals, _, err := a.client.Evaluations().List(ctx, nil)
	if err != nil || len(evals) != 0 {
		t.Fatalf("/v1/evaluations after system gc = %d evaluations, %v", len(evals), err)
	}
	// The output outlives the collection (issue #14): the client keeps the
	// logs of the allocations the servers forgot, and `alloc logs` finds
	// the node that kept them.
	for _, id := range allocIDs {
		var out string
		poll.UntilTrue(t, 30*time.Second, "retained logs of "+id, func() bool {
			code, o := runCLI(ctx, t, "alloc", "logs", "-address", addr, id)
			out = o
			return code == 0 && strings.Contains(o, "gc-done")
		})
		if !strings.Contains(out, "gc-done") {
			t.Fatalf("alloc logs %s after system gc = %q, want the task's output", id, out)
		}
	}
}
