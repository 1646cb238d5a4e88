package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestClientLogSymlinkAttack: an exec task running as nobody tries to turn
// its own log files into symbolic links to root-owned 0600 files: its
// stderr file to read one through the logs API, and the next stdout file
// the rotator will open to overwrite another with its output. The task must
// not be able to plant the links (alloc/logs is root's and 0755), the logs
// API must never return either file's content, and both must be unchanged.
func TestClientLogSymlinkAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	victims := t.TempDir()
	readVictim := filepath.Join(victims, "read-victim")
	writeVictim := filepath.Join(victims, "write-victim")
	const readSecret, writeSecret = "READ-SECRET-7f3a9c\n", "WRITE-SECRET-c29b1e\n"
	for path, secret := range map[string]string{readVictim: readSecret, writeVictim: writeSecret} {
		if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	a := startDevAgent(t, devAgentOptions{}, "exec")
	// The task: log a line on each stream, replace t.stderr.0 and plant
	// t.stdout.1 as links to the victims, then write more than one file
	// (max_file_size = 1 MB) of stdout so the rotator opens t.stdout.1.
	script := `echo first-stdout; echo first-stderr >&2
cd /alloc/logs || exit 3
if ln -sf "$1" t.stderr.0 2>/dev/null; then echo planted-stderr; else echo denied-stderr; fi >> /alloc/data/attack
if ln -sf "$2" t.stdout.1 2>/dev/null; then echo planted-stdout; else echo denied-stdout; fi >> /alloc/data/attack
yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 1200000
echo; echo last-stdout; echo last-stderr >&2
echo done >> /alloc/data/attack`
	job := a.writeJob("logattack", fmt.Sprintf(`job "logattack" {
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
        args    = ["-c", %q, "sh", %q, %q]
      }
      logs {
        max_files     = 3
        max_file_size = 1
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`, script, readVictim, writeVictim))
	a.mustCLI(ctx, "job", "run", job)
	alloc := a.waitOneAlloc(ctx, "logattack", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)

	attack, err := os.ReadFile(filepath.Join(a.dataDir, "alloc", alloc.ID, "alloc", "data", "attack"))
	if err != nil {
		t.Fatalf("the task left no record of its attempt (%v); alloc %s", err, alloc.ClientStatus)
	}
	t.Logf("task record:\n%s", attack)
	if !strings.Contains(string(attack), "done") {
		t.Errorf("the task did not finish its script: %q", attack)
	}
	if strings.Contains(string(attack), "planted") {
		t.Errorf("the task replaced its log files with links: %q", attack)
	}

	logs := map[string]string{}
	for _, typ := range []string{"stdout", "stderr"} {
		for origin, offset := range map[string]int64{"start": 0, "end": 4096} {
			rc, err := a.api().Allocations().Logs(ctx, alloc.ID, api.LogsOptions{Task: "t", Type: typ, Origin: origin, Offset: offset})
			if err != nil {
				t.Fatalf("logs %s from %s: %v", typ, origin, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("logs %s from %s: %v", typ, origin, err)
			}
			for _, secret := range []string{readSecret, writeSecret} {
				if strings.Contains(string(b), strings.TrimSpace(secret)) {
					t.Errorf("logs %s from %s returned the content of a root-only file (%q)", typ, origin, strings.TrimSpace(secret))
				}
			}
			logs[typ+"/"+origin] = string(b)
		}
	}
	if got := logs["stderr/start"]; !strings.Contains(got, "first-stderr") || !strings.Contains(got, "last-stderr") {
		t.Errorf("stderr log = %q, want the task's two stderr lines", got)
	}
	if got := logs["stdout/end"]; !strings.Contains(got, "last-stdout") {
		t.Errorf("stdout log tail = %q, want last-stdout", got)
	}

	for path, secret := range map[string]string{readVictim: readSecret, writeVictim: writeSecret} {
		b, err := os.ReadFile(path)
		if err != nil || string(b) != secret {
			t.Errorf("%s = %.80q (%v), want it unchanged (%q)", filepath.Base(path), b, err, secret)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(path), fi.Mode())
		}
	}
}
