package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// gcJob is a batch exec task, as nobody, that prints a line on each stream
// and plants links to a host directory in the directories of its
// allocation it can write to, for the client's GC to remove.
func gcJob(jobID, hostDir string) string {
	script := `echo gc-stdout-7d1e; echo gc-stderr-39ab >&2
ln -s "$1" /local/hostlink; ln -s "$1" /alloc/data/hostlink; ln -s "$1/precious" /alloc/data/filelink
mkdir -p /local/a/b && ln -s "$1" /local/a/b/deep; exit 0`
	return fmt.Sprintf(`job %q {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    reschedule {
      attempts  = 0
      unlimited = false
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "exec"
      user   = "nobody"
      config {
        command = "/bin/sh"
        args    = ["-c", %q, "sh", %q]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}`, jobID, script, hostDir)
}

// TestClientGCKeepsLogs: a finished allocation's directory is collected
// (PUT /v1/client/gc) without following the links its task planted to a
// host directory; its logs stay readable with `alloc logs` after the
// collection, after the agent restarts, and after the servers forgot the
// allocation (simulated by starting the agent on an emptied server state:
// the CLI then finds the node that keeps the logs).
func TestClientGCKeepsLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{persistent: true, config: "client {\n  gc_interval = \"1h\"\n}\n"}, "exec")

	hostDir := filepath.Join(t.TempDir(), "hostdir")
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(hostDir, "precious")
	if err := os.WriteFile(precious, []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.mustCLI(ctx, "job", "run", a.writeJob("gcjob", gcJob("gcjob", hostDir)))
	alloc := a.waitOneAlloc(ctx, "gcjob", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Fatalf("alloc %s: %s", alloc.ID, alloc.ClientStatus)
	}
	allocDir := filepath.Join(a.dataDir, "alloc", alloc.ID)
	if _, err := os.Lstat(filepath.Join(allocDir, "alloc", "data", "hostlink")); err != nil {
		t.Fatalf("the task planted no link: %v", err)
	}

	resp, err := a.api().Do(ctx, http.MethodPut, "/v1/client/gc", nil, nil)
	if err != nil {
		t.Fatalf("PUT /v1/client/gc: %v", err)
	}
	resp.Body.Close()
	poll.UntilTrue(t, ctxLeft(ctx), "alloc dir "+allocDir+" to go after PUT /v1/client/gc", func() bool {
		_, err := os.Lstat(allocDir)
		return errors.Is(err, os.ErrNotExist)
	})
	if b, err := os.ReadFile(precious); err != nil || string(b) != "host data\n" {
		t.Fatalf("host directory damaged by the GC: %q, %v", b, err)
	}

	checkLogs := func(when string) {
		t.Helper()
		if out := a.mustCLI(ctx, "alloc", "logs", alloc.ID); !strings.Contains(out, "gc-stdout-7d1e") {
			t.Errorf("%s: alloc logs = %q, want the task's stdout", when, out)
		}
		if out := a.mustCLI(ctx, "alloc", "logs", "-stderr", alloc.ID); !strings.Contains(out, "gc-stderr-39ab") {
			t.Errorf("%s: alloc logs -stderr = %q, want the task's stderr", when, out)
		}
	}
	checkLogs("after the client GC")

	a.Stop()
	a.Start()
	a.waitReady(60*time.Second, "exec")
	checkLogs("after the agent restarted")

	// The servers forget everything; the node keeps its identity and its
	// retained logs.
	a.Stop()
	if err := os.RemoveAll(filepath.Join(a.dataDir, "server")); err != nil {
		t.Fatal(err)
	}
	a.Start()
	a.waitReady(60*time.Second, "exec")
	if code, out := a.cli(ctx, "alloc", "status", alloc.ID); code == 0 {
		t.Fatalf("the servers still know the allocation: %s", out)
	}
	checkLogs("after the servers forgot the allocation")
}
