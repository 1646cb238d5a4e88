package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// The out-of-tree example driver (examples/sleepy-driver, its own module
// requiring only the driver SDK module) built into a plugin_dir and run by
// a real agent.

// buildSleepy builds the example driver from its module into a new
// plugin_dir and returns the directory.
func buildSleepy(ctx context.Context, t *testing.T) string {
	t.Helper()
	pluginDir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(pluginDir, "sleepy"), ".")
	build.Dir = filepath.Join(repoRoot(t), "examples", "sleepy-driver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build examples/sleepy-driver: %v\n%s", err, out)
	}
	return pluginDir
}

// sleepyAgentConfig is the agent HCL that loads the sleepy plugin.
func sleepyAgentConfig(pluginDir string) string {
	return fmt.Sprintf(`plugin_dir = %q
plugin "sleepy" {
  config {
    enabled = true
  }
}
`, pluginDir)
}

// sleepyJob is a batch job of one sleepy task, with no restarts and no
// rescheduling (a failure stays a failure).
func sleepyJob(name string, seconds int, line string, fail bool) string {
	return fmt.Sprintf(`job %q {
  type        = "batch"
  datacenters = ["*"]
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "nap" {
      driver = "sleepy"
      config {
        seconds = %d
        line    = %q
        fail    = %t
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
`, name, seconds, line, fail)
}

// TestSDKExampleDriver: the example driver's plugin in the agent's
// plugin_dir runs a job to completion, its line shows in `alloc logs`, and
// a fail = true job fails with the driver's exit code 1.
func TestSDKExampleDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin and starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	pluginDir := buildSleepy(ctx, t)
	a := startDevAgent(t, devAgentOptions{config: sleepyAgentConfig(pluginDir)}, "sleepy")
	node := a.waitReady(10*time.Second, "sleepy")
	if d := node.Drivers["sleepy"]; d == nil || d.HealthDescription != "ready to sleep" {
		t.Errorf("sleepy driver info = %+v, want healthy, \"ready to sleep\"", d)
	}

	a.mustCLI(ctx, "job", "run", a.writeJob("nap", sleepyJob("nap", 1, "good morning from ${NOMAD_JOB_NAME}", false)))
	alloc := a.waitOneAlloc(ctx, "nap", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	if alloc.ClientStatus != nomadlike.AllocClientStatusComplete {
		_, status := a.cli(ctx, "alloc", "status", alloc.ID)
		t.Fatalf("alloc = %s, want complete\n%s", alloc.ClientStatus, status)
	}
	if logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID); logs != "good morning from nap\n" {
		t.Errorf("alloc logs = %q, want the task's line", logs)
	}

	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("nap-fail", sleepyJob("nap-fail", 0, "about to fail", true)))
	alloc = a.waitOneAlloc(ctx, "nap-fail", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	status := a.mustCLI(ctx, "alloc", "status", alloc.ID)
	if alloc.ClientStatus != nomadlike.AllocClientStatusFailed || !strings.Contains(status, "Exit Code: 1") {
		t.Fatalf("alloc = %s, want failed with Exit Code: 1\n%s", alloc.ClientStatus, status)
	}

	// The plugin dies mid-task: the agent relaunches it, the new process
	// recovers the task from its handle, and the task still ends with its
	// own exit code.
	bin := filepath.Join(pluginDir, "sleepy")
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("nap-killed", sleepyJob("nap-killed", 3, "survives", true)))
	a.waitOneAlloc(ctx, "nap-killed", nomadlike.AllocClientStatusRunning)
	procs := pluginProcs(bin)
	if len(procs) != 1 {
		t.Fatalf("processes running %s: %v, want one", bin, procs)
	}
	for pid := range procs {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	alloc = a.waitOneAlloc(ctx, "nap-killed", nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed)
	status = a.mustCLI(ctx, "alloc", "status", alloc.ID)
	if alloc.ClientStatus != nomadlike.AllocClientStatusFailed || !strings.Contains(status, "Exit Code: 1") || strings.Contains(status, "lost track") {
		t.Fatalf("alloc after the plugin's SIGKILL = %s, want failed with the task's own Exit Code: 1\n%s", alloc.ClientStatus, status)
	}
	if logs := a.mustCLI(ctx, "alloc", "logs", alloc.ID); logs != "survives\n" {
		t.Errorf("alloc logs = %q, want the line once", logs)
	}
}

// pluginProcs lists the running processes whose executable is bin, and
// their start times (/proc/PID/stat field 22), so a reused pid is never
// taken for one.
func pluginProcs(bin string) map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || exe != bin {
			continue
		}
		if st := procStartTime(pid); st != "" {
			out[pid] = st
		}
	}
	return out
}

func procStartTime(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" {
		return ""
	}
	return f[19]
}

// TestSDKDevAgentStopsExternalPlugins: a -dev agent without -data-dir
// deletes its temporary data dir when it exits, so nothing could recover
// its tasks: on SIGINT or SIGTERM it stops the external plugin processes it
// started (and so their tasks) instead of orphaning them.
func TestSDKDevAgentStopsExternalPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin and starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	pluginDir := buildSleepy(ctx, t)
	bin := filepath.Join(pluginDir, "sleepy")
	t.Cleanup(func() {
		for pid, st := range pluginProcs(bin) {
			if procStartTime(pid) == st {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			a := startDevAgent(t, devAgentOptions{config: sleepyAgentConfig(pluginDir), tempDataDir: true}, "sleepy")
			a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("long-nap", sleepyJob("long-nap", 600, "zzz", false)))
			a.waitOneAlloc(ctx, "long-nap", nomadlike.AllocClientStatusRunning)
			procs := pluginProcs(bin)
			if len(procs) == 0 {
				t.Fatalf("no process runs %s while its task runs", bin)
			}
			if err := a.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Wait(ctx); err != nil {
				t.Fatalf("agent exit: %v", err)
			}
			waitGone(ctx, t, procs)
		})
	}
}

// waitGone waits (10s at most) until none of procs (pid: start time) runs.
func waitGone(ctx context.Context, t *testing.T, procs map[int]string) {
	t.Helper()
	poll.Until(t, 10*time.Second, "the plugin processes of the exited -dev agent to exit", func() (bool, string) {
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		var left []int
		for pid, st := range procs {
			if procStartTime(pid) == st {
				left = append(left, pid)
			}
		}
		return len(left) == 0, fmt.Sprintf("%v still run (orphaned)", left)
	})
}
