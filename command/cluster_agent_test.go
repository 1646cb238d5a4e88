package command

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/agent"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestJobRunAgainstRealServer runs the CLI against an in-process dev server
// (no client): the real scheduler finds no node and says so, and the job
// stays queued.
func TestJobRunAgainstRealServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := agent.DevConfig()
	cfg.Name = "cli-test"
	cfg.Client.Enabled = false
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	a, err := agent.New(cfg, nil)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	t.Cleanup(func() { a.Shutdown() })
	client, err := api.NewClient(api.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if l, err := client.Status().Leader(ctx); err == nil && l != "" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("no leader")
		case <-time.After(50 * time.Millisecond):
		}
	}
	cl := &cluster{addr: "http://" + a.HTTPAddr(), dir: t.TempDir()}
	file := cl.jobFile(t, "web.nomad.hcl", webJob("web", 2, 256))

	code, out, errOut := cl.cli(t, "", "job plan", file)
	if code != 1 || !strings.Contains(out, `+ Job: "web"`) || !strings.Contains(out, "WARNING: Failed to place all allocations") {
		t.Errorf("job plan = %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cl.cli(t, "", "job run", file)
	if code != 2 {
		t.Fatalf("job run without nodes = %d, want 2\n%s%s", code, out, errOut)
	}
	mustContain(t, "job run", out, `Task Group "web" (failed to place 2 allocations)`, "waiting for additional capacity")
	code, out, _ = cl.cli(t, "", "job status", "web")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "job status", out, "Placement Failure", "No allocations placed")
	var stdout, stderr bytes.Buffer
	if code := RunWith([]string{"nomadlike", "operator", "raft", "list-peers", "-address", cl.addr}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "cli-test") || !strings.Contains(stdout.String(), "leader") {
		t.Errorf("list-peers = %d %q %q", code, stdout.String(), stderr.String())
	}
}
