package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Artifacts from host paths, against a real agent: a job must not be able
// to copy files of the host (or of the agent) into its task directory
// unless the operator turned off the artifact filesystem isolation.

// artifactJob is a batch job whose tasks each fetch one artifact source and
// then run /bin/true with raw_exec; nothing is retried.
func artifactJob(name string, sources map[string]string) string {
	var tasks strings.Builder
	for task, src := range sources {
		fmt.Fprintf(&tasks, `
    task %q {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      artifact {
        source = %q
      }
      restart {
        attempts = 0
        mode     = "fail"
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
`, task, src)
	}
	return fmt.Sprintf(`job %q {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    reschedule {
      attempts  = 0
      unlimited = false
    }
%s  }
}
`, name, tasks.String())
}

// hostSecret writes a root-owned 0600 file outside any allocation, as
// /etc/shadow is.
func hostSecret(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(p, []byte("root:$6$secret:19000:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestArtifactHostPathRefused: with the default client config, a local
// path artifact naming a root-only host file, and a file:// artifact naming
// the agent's own state database, fail their tasks with an event that
// names the source; neither file appears in the task directory.
func TestArtifactHostPathRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the agent copies files as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	secret := hostSecret(t)
	stateDB := filepath.Join(a.dataDir, "client", "state.db")
	if _, err := os.Stat(stateDB); err != nil {
		t.Fatalf("agent state db: %v", err)
	}
	sources := map[string]string{"shadow": secret, "state": "file://" + stateDB}
	// One job per source: in one allocation, the first refused artifact
	// fails the allocation and its sibling task is killed before it
	// even tries its own.
	for task, src := range sources {
		job := "steal-" + task
		a.mustCLI(ctx, "job", "run", "-detach", a.writeJob(job, artifactJob(job, map[string]string{task: src})))
		stub := a.waitOneAlloc(ctx, job, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusComplete)
		alloc, _, err := a.api().Allocations().Info(ctx, stub.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if alloc.ClientStatus != nomadlike.AllocClientStatusFailed {
			t.Errorf("%s: alloc = %s, want failed", job, alloc.ClientStatus)
		}
		ts := alloc.TaskStates[task]
		if ts == nil || !ts.Failed {
			t.Errorf("task %s state = %+v, want failed", task, ts)
			continue
		}
		var msg string
		for _, e := range ts.Events {
			if e.Type == nomadlike.TaskEventArtifactDownloadFailed {
				msg = e.DisplayMessage
			}
		}
		t.Logf("task %s event: %s", task, msg)
		if !strings.Contains(msg, src) || !strings.Contains(msg, "disable_filesystem_isolation") {
			t.Errorf("task %s: artifact event = %q, want one naming %s and disable_filesystem_isolation (events %v)", task, msg, src, taskEvents(ts))
		}
		local := filepath.Join(a.dataDir, "alloc", alloc.ID, task, "local")
		for _, name := range []string{"shadow", "state.db"} {
			if _, err := os.Lstat(filepath.Join(local, name)); !os.IsNotExist(err) {
				t.Errorf("task %s: %s/%s exists (%v): the host file was copied", task, local, name, err)
			}
		}
	}
}

// TestArtifactHostPathAllowed: with client { artifact {
// disable_filesystem_isolation = true } } the operator trusts jobs with
// host paths; the copy works and keeps the source's mode 0600.
func TestArtifactHostPathAllowed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the agent copies files as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{config: "client {\n  artifact {\n    disable_filesystem_isolation = true\n    git_timeout = \"1m\"\n  }\n}\n"}, "raw_exec")
	if log := a.logTail(20000); !strings.Contains(log, "client.artifact.git_timeout has no effect") {
		t.Errorf("agent log lacks the warning for git_timeout:\n%s", log)
	}
	secret := hostSecret(t)
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("trusted", artifactJob("trusted", map[string]string{"copy": "file://" + secret})))
	stub := a.waitOneAlloc(ctx, "trusted", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if stub.ClientStatus != nomadlike.AllocClientStatusComplete {
		_, status := a.cli(ctx, "alloc", "status", stub.ID)
		t.Fatalf("alloc = %s, want complete\n%s", stub.ClientStatus, status)
	}
	got := filepath.Join(a.dataDir, "alloc", stub.ID, "copy", "local", "shadow")
	fi, err := os.Stat(got)
	if err != nil {
		t.Fatalf("copied artifact: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("copied artifact mode = %v, want 0600 (the source's)", fi.Mode().Perm())
	}
}

// TestArtifactFromAllocDir: the ci-pipeline example passes a tarball from
// its prestart task to its build task through the shared alloc dir, as a
// relative artifact source; the default isolation allows it.
func TestArtifactFromAllocDir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")
	a.mustCLI(ctx, "job", "run", "-detach", filepath.Join(repoRoot(t), "jobspecs", "ci-pipeline.nomad.hcl"))
	stub := a.waitOneAlloc(ctx, "ci-pipeline", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if stub.ClientStatus != nomadlike.AllocClientStatusComplete {
		_, status := a.cli(ctx, "alloc", "status", stub.ID)
		t.Fatalf("alloc = %s, want complete\n%s", stub.ClientStatus, status)
	}
	if logs := a.mustCLI(ctx, "alloc", "logs", stub.ID, "build"); !strings.Contains(logs, "all tests passed") {
		t.Errorf("build logs = %q, want the unpacked project's tests to pass", logs)
	}
}
