package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestDevAgentInterruptLogsNoErrors: Ctrl-C (SIGINT) of a dev agent with a
// running raw_exec task stops the task and the driver plugins the agent
// started, and the log shows no ERROR line for them: the agent stops its
// plugins by asking, not by SIGKILL (which go-plugin logs as
// `[ERROR] plugin process exited: error="signal: killed"`).
func TestDevAgentInterruptLogsNoErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startAgent(t, "devint", "-dev")
	poll.UntilTrue(t, 60*time.Second, "a ready node", func() bool {
		nodes, _, err := p.client.Nodes().List(ctx, nil)
		return err == nil && len(nodes) == 1 && nodes[0].Status == nomadlike.NodeStatusReady
	})
	job := filepath.Join(t.TempDir(), "sleep.nomad.hcl")
	src := `job "sleep" {
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
    }
  }
}
`
	if err := os.WriteFile(job, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(ctx, t, "job", "run", "-address=http://"+p.HTTPAddr(), job); code != 0 {
		t.Fatalf("job run = %d\n%s", code, out)
	}
	poll.UntilTrue(t, 60*time.Second, "a running allocation", func() bool {
		allocs, _, err := p.client.Jobs().Allocations(ctx, "sleep", false, nil)
		return err == nil && len(allocs) == 1 && allocs[0].ClientStatus == nomadlike.AllocClientStatusRunning
	})
	children := descendants(p.PID())
	// Built-in plugins are launched on first use: the exec plugin and its task.
	if len(children) < 2 {
		t.Fatalf("agent has %d descendants %v, want the exec plugin and the task", len(children), children)
	}

	if err := p.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	state, err := p.Wait(ctx)
	if err != nil || !state.Success() {
		t.Fatalf("agent exit after SIGINT = %v, %v; want 0", state, err)
	}
	log := p.logTail(1 << 20)
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "[ERROR]") {
			t.Errorf("log line after a clean interrupt: %s", line)
		}
	}
	if !strings.Contains(log, "plugin process exited") {
		t.Errorf("no plugin exit logged; did the agent stop its plugins?")
	}
	poll.UntilTrue(t, 10*time.Second, "plugins and task gone", func() bool {
		for _, pid := range children {
			if alive(pid) {
				return false
			}
		}
		return true
	})
}
