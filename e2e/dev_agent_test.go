package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestDevAgent: `agent -dev` as a process; a raw_exec job submitted with
// `job run` gets running allocations; SIGINT stops the agent cleanly and,
// in dev mode, its tasks.
func TestDevAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	p := startAgent(t, "dev", "-dev")
	addr := "-address=http://" + p.HTTPAddr()

	// Wait for the node to be ready.
	poll.Until(t, ctxLeft(ctx), "a ready node", func() (bool, string) {
		nodes, _, err := p.client.Nodes().List(ctx, nil)
		return err == nil && len(nodes) == 1 && nodes[0].Status == nomadlike.NodeStatusReady, fmt.Sprintf("%v %v", nodes, err)
	})

	marker := filepath.Join(dir, "ran")
	job := filepath.Join(dir, "touch.nomad.hcl")
	src := `job "touch" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "touch ` + marker + `; exec sleep 300"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`
	if err := os.WriteFile(job, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(ctx, t, "job", "run", addr, job)
	if code != 0 || !strings.Contains(out, "created: node") || !strings.Contains(out, `finished with status "complete"`) {
		t.Fatalf("job run = %d\n%s", code, out)
	}
	poll.Until(t, ctxLeft(ctx), "the allocation to run", func() (bool, string) {
		allocs, _, err := p.client.Jobs().Allocations(ctx, "touch", false, nil)
		return err == nil && len(allocs) == 1 && allocs[0].ClientStatus == nomadlike.AllocClientStatusRunning, fmt.Sprintf("%v %v", allocs, err)
	})
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the task did not run: %v", err)
	}
	code, out = runCLI(ctx, t, "job", "status", addr, "touch")
	if code != 0 || !strings.Contains(out, "running") {
		t.Errorf("job status = %d\n%s", code, out)
	}

	// A bad request changes nothing and says where it is wrong.
	code, out = runCLI(ctx, t, "agent", "-config", filepath.Join(dir, "missing.hcl"))
	if code != 1 || !strings.Contains(out, "missing.hcl") {
		t.Errorf("agent with a missing config = %d %q", code, out)
	}

	// SIGHUP reloads the log level and keeps the agent running.
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll.UntilTrue(t, ctxLeft(ctx), "a log level reload after SIGHUP", func() bool {
		return strings.Contains(p.logTail(4000), "reloaded log level")
	})
	if _, err := p.client.Agent().Self(ctx); err != nil {
		t.Fatalf("agent gone after SIGHUP: %v", err)
	}

	// SIGINT: graceful exit 0.
	if err := p.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	state, err := p.Wait(ctx)
	if err != nil {
		t.Fatal("agent did not exit after SIGINT")
	}
	if !state.Success() {
		t.Errorf("agent exit after SIGINT = %v, want 0", state)
	}
	if !strings.Contains(p.logTail(4000), "Gracefully shutting down") {
		t.Errorf("agent log lacks the shutdown message")
	}
}
