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

// A driver plugin killed with SIGKILL while its tasks run: the agent
// relaunches it, recovers the tasks from their handles, and each task ends
// with its real exit code (the alloc of `exit 7` fails with 7, the one of
// `exit 0` completes), not "-1, lost track of the task".

// gatedScript waits for the file "go" in its task dir, then exits code.
func gatedScript(code int) string {
	return fmt.Sprintf(`while [ ! -e "$NOMAD_TASK_DIR/go" ]; do sleep 0.1; done; exit %d`, code)
}

// pluginPID finds the agent's plugin process for driver.
func (a *devAgent) pluginPID(driver string) int {
	for _, pid := range descendants(a.PID()) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && strings.HasSuffix(strings.TrimRight(string(b), "\x00"), "\x00driver\x00"+driver) {
			return pid
		}
	}
	return 0
}

// killPluginMidRun runs one job per exit code, kills driver's plugin while
// the tasks wait for their gate, opens the gates and checks every task's
// exit code and its allocation's status.
func killPluginMidRun(ctx context.Context, t *testing.T, a *devAgent, driver string, job func(name string, code int) string) {
	t.Helper()
	codes := map[int]string{7: nomadlike.AllocClientStatusFailed, 0: nomadlike.AllocClientStatusComplete}
	allocs := map[int]string{}
	for code := range codes {
		name := fmt.Sprintf("recover-%s-%d", strings.ReplaceAll(driver, "_", "-"), code)
		a.mustCLI(ctx, "job", "run", "-detach", a.writeJob(name, job(name, code)))
		allocs[code] = a.waitOneAlloc(ctx, name, nomadlike.AllocClientStatusRunning).ID
	}
	pid := a.pluginPID(driver)
	if pid == 0 {
		t.Fatalf("no %s plugin process below agent %d", driver, a.PID())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	poll.UntilTrue(t, ctxLeft(ctx), fmt.Sprintf("the %s plugin to be relaunched after SIGKILL of %d", driver, pid), func() bool {
		return a.pluginRelaunched(driver, pid)
	})
	for code, id := range allocs {
		gate := filepath.Join(a.dataDir, "alloc", id, "t", "local", "go")
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatalf("open gate of exit %d: %v", code, err)
		}
	}
	for code, id := range allocs {
		var ts *nomadlike.TaskState
		poll.Until(t, ctxLeft(ctx), fmt.Sprintf("exit %d: alloc %s to become %s", code, id, codes[code]), func() (bool, string) {
			info, _, err := a.api().Allocations().Info(ctx, id, nil)
			if err != nil || !info.ClientTerminalStatus() {
				return false, fmt.Sprintf("%+v (err %v)", info, err)
			}
			if info.ClientStatus != codes[code] {
				t.Errorf("exit %d: alloc %s ended %s, want %s", code, id, info.ClientStatus, codes[code])
			}
			ts = info.TaskStates["t"]
			return true, ""
		})
		var term, recovered *nomadlike.TaskEvent
		for _, e := range ts.Events {
			switch e.Type {
			case nomadlike.TaskEventTerminated:
				term = e
			case "Driver":
				recovered = e
			case nomadlike.TaskEventDriverFailure:
				t.Errorf("exit %d: driver failure event: %s", code, e.DisplayMessage)
			}
		}
		if term == nil || term.ExitCode != code {
			t.Errorf("exit %d: Terminated event %+v, want exit code %d (events %v)", code, term, code, taskEvents(ts))
		}
		if recovered == nil {
			t.Errorf("exit %d: no Driver event: the task was not recovered after the plugin died (events %v)", code, taskEvents(ts))
		}
	}
}

// pluginRelaunched reports whether a plugin process other than old serves driver.
func (a *devAgent) pluginRelaunched(driver string, old int) bool {
	pid := a.pluginPID(driver)
	return pid != 0 && pid != old
}

func hostJob(driver string) func(name string, code int) string {
	return func(name string, code int) string {
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
      driver = %q
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, name, driver, gatedScript(code))
	}
}

func TestPluginKilledTasksRecover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{persistent: true}, "exec", "raw_exec")
	for _, driver := range []string{"raw_exec", "exec"} {
		t.Run(driver, func(t *testing.T) { killPluginMidRun(ctx, t, a, driver, hostJob(driver)) })
	}
}

func TestPluginKilledContainerdTaskRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts containerd and an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e := startContainerdEnv(t, "")
	killPluginMidRun(ctx, t, e.agent, "containerd", func(name string, code int) string {
		j := e.job(name, "batch", fmt.Sprintf(`        command = "/bin/sh"
        args    = ["-c", %q]`, gatedScript(code)), "")
		return j
	})
}
