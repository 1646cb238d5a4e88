package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
)

// The containerd driver through a real agent: a private containerd daemon
// (ctrdtest), a busybox image archive built on the spot, and a
// server+client agent whose containerd plugin talks to that daemon.

const (
	ctrdNamespace = "nomadlike-e2e"
	ctrdImage     = "docker.io/library/busybox:e2e"
)

// containerdEnv is a daemon, an image archive and an agent using them.
type containerdEnv struct {
	daemon  *ctrdtest.Daemon
	archive string
	agent   *devAgent
}

// startContainerdEnv starts the daemon and the agent. persistent agents
// keep their state on disk so that they can be crashed and restarted.
func startContainerdEnv(tb testing.TB, logLevel string) *containerdEnv {
	tb.Helper()
	if err := becomeSubreaper(); err != nil {
		tb.Fatalf("become child subreaper: %v", err)
	}
	// Registered first, so it runs last: after the agent's cleanup and
	// ctrdtest's (which deletes the containers and stops the daemon), kill
	// and reap whatever is left below this process (exited shims).
	tb.Cleanup(killDescendants)
	e := &containerdEnv{daemon: ctrdtest.Start(tb, ctrdNamespace)}
	e.archive = ctrdtest.BusyboxArchive(tb, tb.TempDir(), ctrdImage)
	e.agent = startDevAgent(tb, devAgentOptions{persistent: true, logLevel: logLevel, config: fmt.Sprintf(`plugin "containerd" {
  config {
    address            = %q
    namespace          = %q
    image_archive_dirs = [%q]
  }
}
`, e.daemon.Address, ctrdNamespace, filepath.Dir(e.archive))}, "containerd")
	return e
}

// job returns a one-task containerd job. config is the body of the task's
// config block without image and image_archive; extra goes into the task.
func (e *containerdEnv) job(name, typ, config, extra string) string {
	return fmt.Sprintf(`job %q {
  type        = %q
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
      driver = "containerd"
      config {
        image         = %q
        image_archive = %q
%s
      }
%s
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, name, typ, ctrdImage, e.archive, config, extra)
}

// containersOf lists the daemon's containers of an allocation.
func (e *containerdEnv) containersOf(tb testing.TB, allocID string) []string {
	tb.Helper()
	return e.daemon.Containers(tb, ctrdNamespace, allocID)
}

// waitLogs waits until the allocation's logs contain want.
func (a *devAgent) waitLogs(ctx context.Context, allocID, want string) string {
	a.tb.Helper()
	var out string
	poll.Until(a.tb, ctxLeft(ctx), fmt.Sprintf("alloc logs of %s to show %q", allocID, want), func() (bool, string) {
		var code int
		code, out = a.cli(ctx, "alloc", "logs", allocID)
		return code == 0 && strings.Contains(out, want), fmt.Sprintf("last (exit %d):\n%s", code, out)
	})
	return out
}

func TestContainerdAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd and an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	e := startContainerdEnv(t, "DEBUG")
	a := e.agent

	t.Run("batch job completes and its output is in alloc logs", func(t *testing.T) {
		a.mustCLI(ctx, "job", "run", a.writeJob("ctr-batch", e.job("ctr-batch", "batch",
			`        command = "sh"
        args    = ["-c", "echo hello from $(hostname) in a container; echo to stderr >&2"]`, "")))
		alloc := a.waitOneAlloc(ctx, "ctr-batch", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
		if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
			_, st := a.cli(ctx, "alloc", "status", alloc.ID)
			t.Fatalf("alloc = %s, want complete\n%s", alloc.ClientStatus, st)
		}
		if logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID); !strings.Contains(logs, "hello from ") || !strings.Contains(logs, "in a container") {
			t.Errorf("alloc logs = %q", logs)
		}
		if logs := a.mustCLI(ctx, "alloc", "logs", "-stderr", alloc.ID); !strings.Contains(logs, "to stderr") {
			t.Errorf("alloc logs -stderr = %q", logs)
		}
		// A finished task's container is deleted, not left for a GC.
		if ids := e.containersOf(t, alloc.ID); len(ids) != 0 {
			t.Errorf("containers left after the batch task completed: %v", ids)
		}
	})

	t.Run("job stop sends the task's kill_signal", func(t *testing.T) {
		a.mustCLI(ctx, "job", "run", a.writeJob("ctr-svc", e.job("ctr-svc", "service",
			`        command = "sh"
        args    = ["-c", "trap 'echo caught USR1; exit 0' USR1; echo ready; while true; do sleep 0.2; done"]`,
			`      kill_signal  = "SIGUSR1"
      kill_timeout = "20s"`)))
		alloc := a.waitOneAlloc(ctx, "ctr-svc", nomadlike.AllocClientStatusRunning)
		a.waitLogs(ctx, alloc.ID, "ready")
		a.mustCLI(ctx, "job", "stop", "ctr-svc")
		done := a.waitOneAlloc(ctx, "ctr-svc", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
		if logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID); !strings.Contains(logs, "caught USR1") {
			t.Errorf("alloc logs after job stop = %q, want the trap's line", logs)
		}
		ts := done.TaskStates["t"]
		if ts == nil || ts.Failed || countString(taskEvents(ts), nomadlike.TaskEventKilling) != 1 {
			t.Errorf("task state after job stop = %+v (events %v); want one Killing event, not failed", ts, taskEvents(ts))
		}
		for _, ev := range ts.Events {
			if ev.Type == nomadlike.TaskEventTerminated && (ev.ExitCode != 0 || ev.Signal != 0) {
				t.Errorf("terminated with exit %d signal %d, want a clean exit 0 from the trap", ev.ExitCode, ev.Signal)
			}
		}
		if ids := e.containersOf(t, alloc.ID); len(ids) != 0 {
			t.Errorf("containers left after the task stopped: %v", ids)
		}
	})

	t.Run("a task over its memory limit is OOM killed", func(t *testing.T) {
		a.mustCLI(ctx, "job", "run", a.writeJob("ctr-hog", e.job("ctr-hog", "batch",
			`        command = "dd"
        args    = ["if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"]`, "")))
		alloc := a.waitOneAlloc(ctx, "ctr-hog", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
		status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
		if alloc.ClientStatus != nomadlike.AllocClientStatusFailed {
			t.Fatalf("alloc = %s, want failed\n%s", alloc.ClientStatus, status)
		}
		for _, want := range []string{"OOM Killed", "Signal: 9"} {
			if !strings.Contains(status, want) {
				t.Errorf("alloc status lacks %q:\n%s", want, status)
			}
		}
		if ids := e.containersOf(t, alloc.ID); len(ids) != 0 {
			t.Errorf("containers left after the OOM kill: %v", ids)
		}
	})

	t.Run("bad task config fails the task before anything starts", func(t *testing.T) {
		cases := []struct {
			name, config, field string
			// refused: the driver's published config schema refuses it at
			// job run (issue #20), before any allocation.
			refused bool
		}{
			{"missing image", `command = "true"`, "config.image", true},
			{"unknown field", `image = "busybox:e2e"
        comand = "true"`, "config.comand", true},
			{"wrong type", `image = "busybox:e2e"
        args = "not a list"`, "config.args", true},
			// Issue #10: the host's / and SYS_ADMIN read /etc/shadow.
			{"host root bind", `image = "busybox:e2e"
        command = "cat"
        args    = ["/host/etc/shadow"]
        mounts  = [{ type = "bind", source = "/", target = "/host" }]`, `config.mounts[0].source: host path "/" needs`, false},
			{"cap_add outside allow_caps", `image = "busybox:e2e"
        command = "true"
        cap_add = ["SYS_ADMIN"]`, `config.cap_add[0]: capability "SYS_ADMIN" is not in the plugin's allow_caps`, false},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				job := fmt.Sprintf("ctr-bad-%d", i)
				code, out := a.cli(ctx, "job", "run", a.writeJob(job, fmt.Sprintf(`job %q {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "t" {
      driver = "containerd"
      config {
        %s
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, job, tc.config)))
				if tc.refused {
					if code == 0 || !strings.Contains(out, `group "g" task "t" `+tc.field) {
						t.Fatalf("job run = exit %d, want the submission refused naming %s:\n%s", code, tc.field, out)
					}
					return
				}
				if code != 0 {
					t.Fatalf("job run = exit %d\n%s", code, out)
				}
				alloc := a.waitOneAlloc(ctx, job, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusComplete)
				status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
				if alloc.ClientStatus != nomadlike.AllocClientStatusFailed {
					t.Fatalf("alloc = %s, want failed\n%s", alloc.ClientStatus, status)
				}
				if !strings.Contains(status, tc.field) || !strings.Contains(status, "Driver Failure") {
					t.Errorf("alloc status does not name %s in a Driver Failure:\n%s", tc.field, status)
				}
				ts := alloc.TaskStates["t"]
				if events := taskEvents(ts); countString(events, nomadlike.TaskEventStarted) != 0 || ts.Restarts != 0 {
					t.Errorf("task events = %v, restarts %d; want no start and no restart", events, ts.Restarts)
				}
				if ids := e.containersOf(t, alloc.ID); len(ids) != 0 {
					t.Errorf("containers created for a bad config: %v", ids)
				}
			})
		}
	})

	// Last: it restarts the agent.
	t.Run("an agent crash does not restart the container", func(t *testing.T) {
		marker := fmt.Sprint(700000 + os.Getpid()%100000)
		a.mustCLI(ctx, "job", "run", a.writeJob("ctr-long", e.job("ctr-long", "service",
			fmt.Sprintf(`        command = "sleep"
        args    = [%q]`, marker), "")))
		alloc := a.waitOneAlloc(ctx, "ctr-long", nomadlike.AllocClientStatusRunning)
		var pids []int
		poll.Until(t, ctxLeft(ctx), fmt.Sprintf("container process 'sleep %s'", marker), func() (bool, string) {
			pids = pidsWithArgs("sleep", marker)
			return len(pids) == 1, fmt.Sprintf("found %v", pids)
		})
		ctrs := e.containersOf(t, alloc.ID)

		a.crashAndRestart("containerd")

		allocs := a.waitAllocs(ctx, "ctr-long", "the same running allocation", func(l []*nomadlike.AllocListStub) bool {
			return len(l) == 1 && l[0].ID == alloc.ID && l[0].ClientStatus == nomadlike.AllocClientStatusRunning
		})
		if after := pidsWithArgs("sleep", marker); len(after) != 1 || after[0] != pids[0] {
			t.Fatalf("container processes after the agent restart = %v, want only %d", after, pids[0])
		}
		if after := e.containersOf(t, alloc.ID); strings.Join(after, ",") != strings.Join(ctrs, ",") {
			t.Errorf("containers after restart = %v, want %v", after, ctrs)
		}
		ts := allocs[0].TaskStates["t"]
		if events := taskEvents(ts); ts.Restarts != 0 || countString(events, nomadlike.TaskEventStarted) != 1 ||
			countString(events, nomadlike.TaskEventDriverFailure) != 0 {
			t.Errorf("task after the agent restart: restarts %d, events %v; want one start", ts.Restarts, events)
		}
		// Still under control: a stop ends the container.
		a.mustCLI(ctx, "job", "stop", "ctr-long")
		poll.UntilTrue(t, ctxLeft(ctx), fmt.Sprintf("container process %d to end after job stop", pids[0]), func() bool { return !alive(pids[0]) })
	})
}
