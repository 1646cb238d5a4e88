package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// The client agent and its drivers end to end: jobs submitted with the CLI
// to a real agent process, run by real driver plugin processes.

// repoRoot is the repository's top directory (the e2e package's parent).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the e2e package")
	}
	return filepath.Dir(filepath.Dir(file))
}

// TestClientHelloExec: the getting-started job (exec driver) runs to
// completion on a dev agent and its output is in `alloc logs`.
func TestClientHelloExec(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")

	out := a.mustCLI(ctx, "job", "run", filepath.Join(repoRoot(t), "jobspecs", "hello.nomad.hcl"))
	if !strings.Contains(out, `finished with status "complete"`) {
		t.Fatalf("job run output lacks the complete evaluation:\n%s", out)
	}
	alloc := a.waitOneAlloc(ctx, "hello", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		_, status := a.cli(ctx, "alloc", "status", alloc.ID)
		t.Fatalf("hello alloc = %s, want complete\n%s", alloc.ClientStatus, status)
	}
	logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID)
	if want := "hello from dev1 allocation 0"; !strings.Contains(logs, want) {
		t.Errorf("alloc logs = %q, want %q", logs, want)
	}
	status := a.mustCLI(ctx, "job", "status", "hello")
	if !strings.Contains(status, "dead") || !strings.Contains(status, "complete") {
		t.Errorf("job status of a finished batch job:\n%s", status)
	}
}

// TestClientRestartPolicy: a batch task that exits 1 is restarted as its
// policy says (attempts = 2, mode = "fail"), then fails; alloc status shows
// the restarts, why it is not restarted again and the exit code.
func TestClientRestartPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")

	job := a.writeJob("flaky", `job "flaky" {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "fail" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo attempt; exit 1"]
      }
      restart {
        attempts = 2
        delay    = "1s"
        interval = "1m"
        mode     = "fail"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	a.mustCLI(ctx, "job", "run", job)
	alloc := a.waitOneAlloc(ctx, "flaky", nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusComplete)
	if alloc.ClientStatus != nomadlike.AllocClientStatusFailed {
		t.Fatalf("alloc = %s, want failed", alloc.ClientStatus)
	}
	ts := alloc.TaskStates["fail"]
	if ts == nil || ts.Restarts != 2 || !ts.Failed {
		t.Fatalf("task state = %+v, want 2 restarts and failed", ts)
	}
	events := taskEvents(ts)
	if n := countString(events, nomadlike.TaskEventTerminated); n != 3 {
		t.Errorf("terminated events = %d, want 3 (first run and two restarts): %v", n, events)
	}
	if n := countString(events, nomadlike.TaskEventRestarting); n != 2 {
		t.Errorf("restarting events = %d, want 2: %v", n, events)
	}

	status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
	for _, want := range []string{
		"Restarts     = 2",
		"Exit Code    = 1",
		"Not Restarting",
		`Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"`,
		"Exit Code: 1",
		"Client Status       = failed",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("alloc status lacks %q:\n%s", want, status)
		}
	}
	if logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID); strings.Count(logs, "attempt") != 3 {
		t.Errorf("alloc logs = %q, want three attempts", logs)
	}
	// No other allocation: restarts are the client's, and rescheduling is off.
	if allocs, _, err := a.api().Jobs().Allocations(ctx, "flaky", true, nil); err != nil || len(allocs) != 1 {
		t.Errorf("allocations = %s (%v), want only the first", describeAllocs(allocs), err)
	}
}

// TestClientAgentCrashReattach: an agent killed with SIGKILL and started
// again on its data dir reattaches to its running service tasks (raw_exec
// and exec) instead of starting them again: same host PID, no new
// allocation, no restart, and the job stays running.
func TestClientAgentCrashReattach(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{persistent: true}, "exec", "raw_exec")

	cases := []struct {
		driver, command string
	}{
		{"raw_exec", "/bin/sleep"},
		{"exec", "/bin/sleep"},
	}
	type started struct {
		job, marker, allocID string
		pid                  int
	}
	var runs []started
	for i, tc := range cases {
		job := "svc-" + strings.ReplaceAll(tc.driver, "_", "-")
		// A unique sleep length finds the task's host process whatever its
		// PID namespace.
		marker := fmt.Sprint(86400 + 1000*os.Getpid()%100000 + i)
		a.mustCLI(ctx, "job", "run", a.writeJob(job, fmt.Sprintf(`job %q {
  type        = "service"
  datacenters = ["*"]
  group "g" {
    task "sleep" {
      driver = %q
      config {
        command = %q
        args    = [%q]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, job, tc.driver, tc.command, marker)))
		alloc := a.waitOneAlloc(ctx, job, nomadlike.AllocClientStatusRunning)
		var pids []int
		poll.Until(t, ctxLeft(ctx), fmt.Sprintf("%s: task process 'sleep %s'", tc.driver, marker), func() (bool, string) {
			if pids = pidsWithArgs("/bin/sleep", marker); len(pids) == 1 {
				return true, ""
			}
			pids = pidsWithArgs("sleep", marker)
			return len(pids) == 1, fmt.Sprintf("found %v", pids)
		})
		runs = append(runs, started{job: job, marker: marker, allocID: alloc.ID, pid: pids[0]})
	}

	a.crashAndRestart("exec", "raw_exec")

	for i, r := range runs {
		t.Run(cases[i].driver, func(t *testing.T) {
			// Give the restarted client time to sync; the alloc must still be
			// the same one, running, never restarted.
			allocs := a.waitAllocs(ctx, r.job, "the same running allocation", func(l []*nomadlike.AllocListStub) bool {
				return len(l) == 1 && l[0].ID == r.allocID && l[0].ClientStatus == nomadlike.AllocClientStatusRunning
			})
			if !alive(r.pid) {
				t.Fatalf("task process %d died across the agent restart", r.pid)
			}
			pids := append(pidsWithArgs("/bin/sleep", r.marker), pidsWithArgs("sleep", r.marker)...)
			if len(pids) != 1 || pids[0] != r.pid {
				t.Fatalf("task processes after restart = %v, want only %d", pids, r.pid)
			}
			ts := allocs[0].TaskStates["sleep"]
			events := taskEvents(ts)
			if ts == nil || ts.Restarts != 0 || countString(events, nomadlike.TaskEventStarted) != 1 ||
				countString(events, nomadlike.TaskEventTerminated) != 0 || countString(events, nomadlike.TaskEventDriverFailure) != 0 {
				t.Errorf("task state after restart: restarts %d, events %v; want one start and nothing else", ts.Restarts, events)
			}
			status := a.mustCLI(ctx, "job", "status", r.job)
			if !strings.Contains(status, "Status        = running") {
				t.Errorf("job status after the agent restart:\n%s", status)
			}
		})
	}
	// The reattached client still controls its tasks: stopping a job kills
	// its process.
	a.mustCLI(ctx, "job", "stop", runs[0].job)
	poll.UntilTrue(t, ctxLeft(ctx), fmt.Sprintf("task %d to end after job stop", runs[0].pid), func() bool { return !alive(runs[0].pid) })
}
