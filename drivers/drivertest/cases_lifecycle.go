package drivertest

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// The lifecycle and recovery cases run a Harness.Task, which every driver
// can run (no shell needed).

// runsLong is how long a task that the case stops itself is asked to run.
const runsLong = 1000 * time.Second

func testTaskExitZero(t *testing.T, s *suite) {
	cfg, h := s.startTask(t, Task{Line: "hello from drivertest"})
	if h.Config == nil || h.Config.ID != cfg.ID || h.State != drivers.TaskStateRunning {
		t.Errorf("StartTask handle = %+v, want the config and state running", h)
	}
	if res := s.wait(t, s.driver(), cfg.ID); !res.Successful() {
		t.Fatalf("WaitTask = %+v, want a successful exit", res)
	}
	s.waitLog(t, cfg, "stdout", "hello from drivertest\n")
}

func testTaskExitFailure(t *testing.T, s *suite) {
	cfg, _ := s.startTask(t, Task{Line: "failing", Fail: true})
	if res := s.wait(t, s.driver(), cfg.ID); res.ExitCode != s.h.FailCode || res.Signal != 0 {
		t.Fatalf("WaitTask = %+v, want exit code %d (Harness.FailCode) and no signal", res, s.h.FailCode)
	}
}

func testTaskInspect(t *testing.T, s *suite) {
	cfg, _ := s.startTask(t, Task{Line: "inspected", Duration: 300 * time.Millisecond, Fail: true})
	st, err := s.driver().InspectTask(cfg.ID)
	if err != nil {
		t.Fatalf("InspectTask: %v", err)
	}
	if st.ID != cfg.ID || st.StartedAt.IsZero() {
		t.Errorf("InspectTask = %+v, want ID %s and StartedAt set", st, cfg.ID)
	}
	s.wait(t, s.driver(), cfg.ID)
	st, err = s.driver().InspectTask(cfg.ID)
	if err != nil {
		t.Fatalf("InspectTask after exit: %v", err)
	}
	if st.State != drivers.TaskStateExited || st.ExitResult == nil || st.ExitResult.ExitCode != s.h.FailCode || st.CompletedAt.IsZero() {
		t.Errorf("InspectTask after exit = %+v (result %+v), want exited with code %d and CompletedAt", st, st.ExitResult, s.h.FailCode)
	}
}

func testTaskStop(t *testing.T, s *suite) {
	cfg, _ := s.startTask(t, Task{Line: "stop me", Duration: runsLong})
	s.waitLog(t, cfg, "stdout", "stop me\n")
	if err := s.driver().StopTask(cfg.ID, 2*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	// SIGKILL: a task that ignores SIGTERM (a container's PID 1) is killed
	// after the timeout.
	res := s.wait(t, s.driver(), cfg.ID)
	if res.Signal != int(syscall.SIGTERM) && res.Signal != int(syscall.SIGKILL) {
		t.Fatalf("WaitTask after StopTask(SIGTERM) = %+v, want Signal %d (or %d after the timeout)",
			res, syscall.SIGTERM, syscall.SIGKILL)
	}
}

func testTaskDestroy(t *testing.T, s *suite) {
	cfg, _ := s.startTask(t, Task{Line: "destroy me", Duration: runsLong})
	s.waitLog(t, cfg, "stdout", "destroy me\n")
	if err := s.driver().DestroyTask(cfg.ID, false); err == nil {
		t.Fatal("DestroyTask(running, force=false) succeeded, want an error")
	}
	st, err := s.driver().InspectTask(cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("InspectTask after a refused destroy = %+v, %v; want running", st, err)
	}
	pid, havePid := taskPid(st)
	if err := s.driver().DestroyTask(cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask(force): %v", err)
	}
	if _, err := s.driver().InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}
	if havePid {
		s.poll(t, "the destroyed task's process to go", func() bool { return !pidAlive(pid) })
	}
}

// testRecoverExitCode kills the plugin process while a task runs, launches a
// new one, recovers the task from the handle StartTask returned and waits
// for it: the exit code is the task's own, not a lost-task error.
func testRecoverExitCode(t *testing.T, s *suite) {
	first := s.launch(t)
	cfg := s.taskConfigRaw(t, s.h.Task(Task{Line: "recover me", Duration: 2 * time.Second, Fail: true}))
	h, err := first.Driver().StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	pid, havePid := s.crashPlugin(t, first, cfg.ID)
	d := s.recoverOnNewPlugin(t, h)
	res := s.wait(t, d, cfg.ID)
	if res.ExitCode != s.h.FailCode || res.Signal != 0 || res.Err != "" {
		t.Fatalf("WaitTask after recovery = %+v, want the task's own exit code %d", res, s.h.FailCode)
	}
	if got := readLogs(cfg, "stdout"); got != "recover me\n" {
		t.Errorf("stdout log = %q, want the line once", got)
	}
	if havePid {
		s.poll(t, "the recovered task's process to go", func() bool { return !pidAlive(pid) })
	}
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
}

// crashPlugin kills plugin p (SIGKILL) and waits for it to exit. It returns
// the task's pid when the driver reports one (killed at cleanup, in case).
func (s *suite) crashPlugin(t *testing.T, p *drivers.Plugin, taskID string) (int, bool) {
	t.Helper()
	st, err := p.Driver().InspectTask(taskID)
	if err != nil {
		t.Fatalf("InspectTask: %v", err)
	}
	pid, havePid := taskPid(st)
	if havePid {
		t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	}
	if err := syscall.Kill(p.ReattachConfig().Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin: %v", err)
	}
	s.poll(t, "the killed plugin to exit", p.Exited)
	return pid, havePid
}

// recoverOnNewPlugin launches a new plugin process and recovers the task
// of h on it; the task is destroyed at cleanup.
func (s *suite) recoverOnNewPlugin(t *testing.T, h *drivers.TaskHandle) drivers.Driver {
	t.Helper()
	d := s.launch(t).Driver()
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(h.Config.ID, true) })
	return d
}
