package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

func testFingerprint(t *testing.T, s *suite) {
	fp, err := s.driver().Fingerprint(context.Background())
	if err != nil {
		t.Fatalf("Fingerprint: %v", err)
	}
	if fp.Health != drivers.HealthHealthy {
		t.Fatalf("Fingerprint().Health = %q (%s), want healthy", fp.Health, fp.HealthDescription)
	}
	if info := s.driver().Info(); info.Name != s.h.Plugin.Name {
		t.Errorf("Info().Name = %q, want %q", info.Name, s.h.Plugin.Name)
	}
}

func testExitZeroAndLogs(t *testing.T, s *suite) {
	cfg, h := s.start(t, "echo hello stdout; echo hello stderr >&2")
	if h.Config == nil || h.Config.ID != cfg.ID || h.State != drivers.TaskStateRunning {
		t.Errorf("StartTask handle = %+v, want the config and state running", h)
	}
	res := s.wait(t, s.driver(), cfg.ID)
	if !res.Successful() {
		t.Fatalf("WaitTask = %+v, want a successful exit", res)
	}
	s.waitLog(t, cfg, "stdout", "hello stdout\n")
	s.waitLog(t, cfg, "stderr", "hello stderr\n")
}

func testExitNonZero(t *testing.T, s *suite) {
	cfg, _ := s.start(t, "exit 7")
	if res := s.wait(t, s.driver(), cfg.ID); res.ExitCode != 7 || res.Signal != 0 {
		t.Fatalf("WaitTask = %+v, want exit code 7", res)
	}
}

func testEnv(t *testing.T, s *suite) {
	cfg, _ := s.start(t, `echo "greeting=$GREETING"`)
	s.wait(t, s.driver(), cfg.ID)
	s.waitLog(t, cfg, "stdout", "greeting=hello from the suite")
}

func testWaitCancel(t *testing.T, s *suite) {
	cfg, _ := s.startTask(t, Task{Line: "waited for", Duration: runsLong})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.driver().WaitTask(ctx, cfg.ID); !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitTask(expiring ctx) = %v, want a context error", err)
	}
	st, err := s.driver().InspectTask(cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("InspectTask after a cancelled wait = %+v, %v; want still running", st, err)
	}
}

func testStopGraceful(t *testing.T, s *suite) {
	cfg, _ := s.start(t, "exec sleep 1000")
	if err := s.driver().StopTask(cfg.ID, s.h.Timeout, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if res := s.wait(t, s.driver(), cfg.ID); res.Signal != int(syscall.SIGTERM) {
		t.Fatalf("WaitTask = %+v, want killed by SIGTERM", res)
	}
}

func testStopKillTimeout(t *testing.T, s *suite) {
	cfg, _ := s.start(t, "trap '' INT; echo ready; while :; do sleep 0.1; done")
	s.waitLog(t, cfg, "stdout", "ready")
	if err := s.driver().StopTask(cfg.ID, 300*time.Millisecond, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if res := s.wait(t, s.driver(), cfg.ID); res.Signal != int(syscall.SIGKILL) {
		t.Fatalf("WaitTask = %+v, want SIGKILL after the task ignored SIGINT", res)
	}
}

func testKillSignal(t *testing.T, s *suite) {
	cfg := s.taskConfig(t, "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done")
	cfg.KillSignal = "SIGTERM"
	if _, err := s.driver().StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() { _ = s.driver().DestroyTask(cfg.ID, true) })
	s.waitLog(t, cfg, "stdout", "ready")
	if err := s.driver().StopTask(cfg.ID, s.h.Timeout, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if res := s.wait(t, s.driver(), cfg.ID); !res.Successful() {
		t.Fatalf("WaitTask = %+v, want the task's kill_signal SIGTERM handled (exit 0)", res)
	}
	s.waitLog(t, cfg, "stdout", "got-term")
}

func testSignal(t *testing.T, s *suite) {
	if !s.driver().Info().Capabilities.SendSignals {
		if err := s.driver().(drivers.Signaler).SignalTask("x", "SIGHUP"); !errors.Is(err, drivers.ErrNotSupported) {
			t.Fatalf("SignalTask on a driver without signals = %v, want ErrNotSupported", err)
		}
		return
	}
	cfg, _ := s.start(t, "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done")
	s.waitLog(t, cfg, "stdout", "ready")
	if err := s.driver().(drivers.Signaler).SignalTask(cfg.ID, "SIGUSR1"); err != nil {
		t.Fatalf("SignalTask: %v", err)
	}
	s.waitLog(t, cfg, "stdout", "got-usr1")
	if err := s.driver().(drivers.Signaler).SignalTask(cfg.ID, "SIGNOPE"); err == nil {
		t.Error("SignalTask(SIGNOPE) succeeded")
	}
}

func testExec(t *testing.T, s *suite) {
	ex := s.driver().(drivers.Execer)
	if !s.driver().Info().Capabilities.Exec {
		if _, err := ex.ExecTask("x", []string{"true"}, time.Second); !errors.Is(err, drivers.ErrNotSupported) {
			t.Fatalf("ExecTask on a driver without exec = %v, want ErrNotSupported", err)
		}
		return
	}
	cfg, _ := s.start(t, "exec sleep 1000")
	res, err := ex.ExecTask(cfg.ID, []string{"/bin/sh", "-c", `echo "out $GREETING"; echo err >&2; exit 3`}, s.h.Timeout)
	if err != nil {
		t.Fatalf("ExecTask: %v", err)
	}
	if res.ExitCode != 3 || string(res.Stdout) != "out hello from the suite\n" || string(res.Stderr) != "err\n" {
		t.Fatalf("ExecTask = code %d stdout %q stderr %q; want 3, the task's env, err", res.ExitCode, res.Stdout, res.Stderr)
	}
}

func testStats(t *testing.T, s *suite) {
	cfg, _ := s.start(t, "exec sleep 1000")
	s.pollRunning(t, s.driver(), cfg.ID, "stats with a process and some memory", func() bool {
		u, err := s.driver().TaskStats(context.Background(), cfg.ID)
		if err != nil {
			t.Fatalf("TaskStats: %v", err)
		}
		return u.Pids >= 1 && u.MemoryRSS > 0 && !u.Timestamp.IsZero()
	}, nil)
}

func testLogRotation(t *testing.T, s *suite) {
	// 1 MiB files, 2 kept: 3 MiB of output leaves .1 and .2 (or later).
	cfg, _ := s.start(t, "head -c 3145728 /dev/zero | tr '\\0' x; echo; echo done")
	if res := s.wait(t, s.driver(), cfg.ID); !res.Successful() {
		t.Fatalf("WaitTask = %+v", res)
	}
	s.pollRunning(t, s.driver(), cfg.ID, "the last rotated file to hold the end of the output", func() bool {
		return strings.HasSuffix(readLogs(cfg, "stdout"), "done\n")
	}, func() string { return fmt.Sprintf("stdout holds %d bytes", len(readLogs(cfg, "stdout"))) })
	if got := len(readLogs(cfg, "stdout")); got > 2<<20 {
		t.Fatalf("%d bytes of stdout kept, want at most 2 files of 1 MiB", got)
	}
}

func testBadConfig(t *testing.T, s *suite) {
	err := s.driver().ValidateTaskConfig(s.h.BadConfig)
	if err == nil || !strings.Contains(err.Error(), s.h.BadField) {
		t.Fatalf("ValidateTaskConfig(%s) = %v, want an error naming %s", s.h.BadConfig, err, s.h.BadField)
	}
	cfg := s.taskConfigRaw(t, s.h.BadConfig)
	if _, err := s.driver().StartTask(cfg); err == nil || !strings.Contains(err.Error(), s.h.BadField) {
		t.Fatalf("StartTask(bad config) = %v, want an error naming %s", err, s.h.BadField)
	}
}

func testTaskNotFound(t *testing.T, s *suite) {
	d := s.driver()
	calls := map[string]func() error{
		"WaitTask": func() error { _, err := d.WaitTask(context.Background(), "nope"); return err },
		"StopTask": func() error { return d.StopTask("nope", time.Second, "") },
		"Destroy":  func() error { return d.DestroyTask("nope", true) },
		"Inspect":  func() error { _, err := d.InspectTask("nope"); return err },
		"Stats":    func() error { _, err := d.TaskStats(context.Background(), "nope"); return err },
		"Signal":   func() error { return d.(drivers.Signaler).SignalTask("nope", "SIGHUP") },
		"Exec":     func() error { _, err := d.(drivers.Execer).ExecTask("nope", []string{"true"}, time.Second); return err },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, drivers.ErrTaskNotFound) && !errors.Is(err, drivers.ErrNotSupported) {
			t.Errorf("%s(unknown task) = %v, want ErrTaskNotFound", name, err)
		}
	}
}

// testRecover kills the plugin process with SIGKILL, launches a new one and
// recovers the task from its handle: same process, logs still copied, and it
// can be stopped.
func testRecover(t *testing.T, s *suite) {
	first := s.launch(t)
	cfg := s.taskConfig(t, "i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done")
	h, err := first.Driver().StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	s.waitLogOn(t, first.Driver(), cfg, "stdout", "tick 3\n")
	pid, havePid := s.crashPlugin(t, first, cfg.ID)
	if havePid && !pidAlive(pid) {
		t.Fatalf("task process %d died with the plugin", pid)
	}
	d := s.recoverOnNewPlugin(t, h)
	st, err := d.InspectTask(cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("InspectTask after recover = %+v, %v; want running", st, err)
	}
	if pid2, ok := taskPid(st); havePid && (!ok || pid2 != pid) {
		t.Fatalf("recovered task pid = %v, want %d", st.DriverAttributes["pid"], pid)
	}
	// The output keeps flowing into the same files.
	n := strings.Count(readLogs(cfg, "stdout"), "tick")
	s.waitLogOn(t, d, cfg, "stdout", "tick "+strconv.Itoa(n+5)+"\n")
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask again (already known): %v", err)
	}

	if err := d.StopTask(cfg.ID, s.h.Timeout, "SIGTERM"); err != nil {
		t.Fatalf("StopTask after recover: %v", err)
	}
	s.wait(t, d, cfg.ID)
	if havePid {
		s.poll(t, "the recovered task's process to go", func() bool { return !pidAlive(pid) })
	}
	if err := d.DestroyTask(cfg.ID, false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
}

// taskPid is the task's main pid from InspectTask's DriverAttributes["pid"],
// which drivers that run host processes report.
func taskPid(st *drivers.TaskStatus) (int, bool) {
	pid, err := strconv.Atoi(st.DriverAttributes["pid"])
	return pid, err == nil && pid > 0
}

// testDefaultSignals checks a task does not inherit ignored SIGPIPE or
// SIGHUP from the plugin process (which must survive its host's death).
func testDefaultSignals(t *testing.T, s *suite) {
	cfg, _ := s.start(t, "grep SigIgn /proc/$$/status")
	s.wait(t, s.driver(), cfg.ID)
	s.waitLog(t, cfg, "stdout", "SigIgn")
	line := strings.TrimSpace(readLogs(cfg, "stdout"))
	mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "SigIgn:")), 16, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGPIPE, syscall.SIGHUP} {
		if mask&(1<<(uint(sig)-1)) != 0 {
			t.Errorf("task starts with %v ignored (SigIgn %s)", sig, line)
		}
	}
}
