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

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// logAttackScript is the task of TestClientLogSymlinkAttack, run as
// `sh -c script sh READ_VICTIM WRITE_VICTIM`: log a line on each stream;
// try to replace t.stderr.0 and plant t.stdout.1 as links to the victims
// (recording the outcome in /alloc/data/attack); wait for /alloc/data/go;
// then write more than one file (max_file_size = 1 MB) of stdout so that
// the rotator opens t.stdout.1.
const logAttackScript = `echo first-stdout; echo first-stderr >&2
cd /alloc/logs || exit 3
if ln -sf "$1" t.stderr.0 2>/dev/null; then echo planted-stderr; else echo denied-stderr; fi >> /alloc/data/attack
if ln -sf "$2" t.stdout.1 2>/dev/null; then echo planted-stdout; else echo denied-stdout; fi >> /alloc/data/attack
i=0; while [ ! -e /alloc/data/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 1200000
echo; echo last-stdout; echo last-stderr >&2
echo done >> /alloc/data/attack`

// TestClientLogSymlinkAttack: an exec task tries to turn its own log files
// into symbolic links to root-owned 0600 files: its stderr file, to read one
// through the logs API, and the next stdout file the rotator will open, to
// overwrite another with its output.
//
// As nobody, the task must not even be able to plant the links (alloc/logs
// is the agent's and 0755). The second case plants them from outside while
// the task runs, as a task running as root in a container could: the driver
// and the agent must still refuse to follow them. Either way the logs API
// never returns a victim's content and both victims are unchanged.
func TestClientLogSymlinkAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")

	cases := []struct {
		name         string
		plantOutside bool
	}{
		{"task as nobody plants the links", false},
		{"links planted by root while the task runs", true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			victims := t.TempDir()
			readVictim := filepath.Join(victims, "read-victim")
			writeVictim := filepath.Join(victims, "write-victim")
			readSecret, writeSecret := fmt.Sprintf("READ-SECRET-%d-7f3a9c\n", i), fmt.Sprintf("WRITE-SECRET-%d-c29b1e\n", i)
			for path, secret := range map[string]string{readVictim: readSecret, writeVictim: writeSecret} {
				if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			jobID := fmt.Sprintf("logattack%d", i)
			a.mustCLI(ctx, "job", "run", a.writeJob(jobID, logAttackJob(jobID, readVictim, writeVictim)))
			running := a.waitOneAlloc(ctx, jobID, nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
			allocDir := filepath.Join(a.dataDir, "alloc", running.ID)
			logDir := filepath.Join(allocDir, "alloc", "logs")
			if tc.plantOutside {
				waitFileContains(ctx, t, filepath.Join(allocDir, "alloc", "data", "attack"), "-stdout")
				for name, target := range map[string]string{"t.stderr.0": readVictim, "t.stdout.1": writeVictim} {
					_ = os.Remove(filepath.Join(logDir, name))
					if err := os.Symlink(target, filepath.Join(logDir, name)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := os.WriteFile(filepath.Join(allocDir, "alloc", "data", "go"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			alloc := a.waitOneAlloc(ctx, jobID, nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)

			attack, err := os.ReadFile(filepath.Join(allocDir, "alloc", "data", "attack"))
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

			logs := fetchLogs(ctx, t, a, alloc.ID, readSecret, writeSecret)
			if got := logs["stderr/start"]; !tc.plantOutside && (!strings.Contains(got, "first-stderr") || !strings.Contains(got, "last-stderr")) {
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
		})
	}
}

func logAttackJob(jobID, readVictim, writeVictim string) string {
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
`, jobID, logAttackScript, readVictim, writeVictim)
}

// fetchLogs reads both streams of task t through the logs API, from the
// start and the last 4 KB, failing the test if any holds a secret.
func fetchLogs(ctx context.Context, t *testing.T, a *devAgent, allocID string, secrets ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, typ := range []string{"stdout", "stderr"} {
		for origin, offset := range map[string]int64{"start": 0, "end": 4096} {
			rc, err := a.api().Allocations().Logs(ctx, allocID, api.LogsOptions{Task: "t", Type: typ, Origin: origin, Offset: offset})
			if err != nil {
				t.Fatalf("logs %s from %s: %v", typ, origin, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("logs %s from %s: %v", typ, origin, err)
			}
			for _, secret := range secrets {
				if strings.Contains(string(b), strings.TrimSpace(secret)) {
					t.Errorf("logs %s from %s returned the content of a root-only file (%q)", typ, origin, strings.TrimSpace(secret))
				}
			}
			out[typ+"/"+origin] = string(b)
		}
	}
	return out
}

// waitFileContains polls path until it holds want.
func waitFileContains(ctx context.Context, t *testing.T, path, want string) {
	t.Helper()
	poll.UntilTrue(t, ctxLeft(ctx), fmt.Sprintf("%s to hold %q", path, want), func() bool {
		b, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(b), want)
	})
}
