package exec

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/proc"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

func TestFingerprint(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	fp, err := d.Fingerprint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := detectHierarchy()
	if fp.Health != drivers.HealthHealthy || fp.Attributes["cgroup_version"] != strconv.Itoa(h.version) {
		t.Errorf("Fingerprint() = %+v, want healthy with cgroup_version %d", fp, h.version)
	}
}

func TestExitCodes(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name     string
		script   string
		wantCode int
	}{
		{name: "success", script: "exit 0", wantCode: 0},
		{name: "failure", script: "exit 3", wantCode: 3},
		{name: "high", script: "exit 200", wantCode: 200},
		{name: "command not found", script: "no-such-command", wantCode: 127},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, nil)
			cmd, args := sh(tc.script)
			cfg := newTaskConfig(t, "exit", "", cmd, args...)
			res, _ := runTask(t, d, cfg)
			if res.ExitCode != tc.wantCode || res.Signal != 0 || res.OOMKilled {
				t.Errorf("result = %+v, want exit code %d", res, tc.wantCode)
			}
		})
	}
}

func TestStartFailures(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		command string
		wantErr string
	}{
		{name: "missing binary", command: "/no/such/binary", wantErr: "config.command"},
		{name: "not in PATH", command: "no-such-binary", wantErr: "not found in PATH"},
		{name: "host binary outside chroot", command: os.Args[0], wantErr: "config.command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, nil)
			cfg := newTaskConfig(t, "fail", "", tc.command)
			_, err := d.StartTask(cfg)
			if !errors.Is(err, ErrStartFailed) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("StartTask() = %v, want %v containing %q", err, ErrStartFailed, tc.wantErr)
			}
			if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
				t.Errorf("InspectTask after failed start = %v, want ErrTaskNotFound", err)
			}
		})
	}
}

func TestStopTask(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name       string
		script     string
		signal     string
		killSignal string
		timeout    time.Duration
		wantCode   int
		wantSignal int
	}{
		// An ignored signal: the stop escalates to SIGKILL after the timeout.
		{name: "escalates to SIGKILL", script: `trap "" INT; echo started; while :; do sleep 0.05; done`, timeout: 200 * time.Millisecond, wantCode: 137, wantSignal: 9},
		// sleep, PID 1 of its namespace, has no handler: the kernel would drop
		// SIGTERM, so the driver applies its default action (terminate).
		{name: "default action of unhandled signal", script: "echo started; exec sleep 300", signal: "SIGTERM", timeout: 30 * time.Second, wantCode: 143, wantSignal: 15},
		{name: "default action of unhandled kill_signal", script: "echo started; exec sleep 300", killSignal: "SIGHUP", timeout: 30 * time.Second, wantCode: 129, wantSignal: 1},
		{name: "handled default SIGINT", script: `trap "exit 7" INT; echo started; while :; do sleep 0.05 & wait $!; done`, timeout: 30 * time.Second, wantCode: 7},
		{name: "task kill_signal", script: `trap "exit 8" TERM; echo started; while :; do sleep 0.05 & wait $!; done`, killSignal: "SIGTERM", timeout: 30 * time.Second, wantCode: 8},
		{name: "explicit signal", script: `trap "exit 9" USR1; echo started; while :; do sleep 0.05 & wait $!; done`, signal: "USR1", timeout: 30 * time.Second, wantCode: 9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, nil)
			cmd, args := sh(tc.script)
			cfg := newTaskConfig(t, "stop", "", cmd, args...)
			cfg.KillSignal = tc.killSignal
			if _, err := d.StartTask(cfg); err != nil {
				t.Fatal(err)
			}
			// Scripts print "started" once their trap is installed.
			poll.UntilTrue(t, 10*time.Second, "the task to start", func() bool { return strings.Contains(readLog(t, cfg, "stdout"), "started") })
			if err := d.StopTask(cfg.ID, tc.timeout, tc.signal); err != nil {
				t.Fatalf("StopTask() = %v", err)
			}
			res := waitTask(t, d, cfg.ID)
			if res.ExitCode != tc.wantCode || res.Signal != tc.wantSignal {
				t.Errorf("result = %+v, want exit code %d signal %d", res, tc.wantCode, tc.wantSignal)
			}
			st, err := d.InspectTask(cfg.ID)
			if err != nil || st.State != drivers.TaskStateExited || st.CompletedAt.IsZero() {
				t.Errorf("InspectTask() = %+v, %v; want exited", st, err)
			}
		})
	}
}

func TestOOMKilled(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	// dd's 128 MiB block buffer is filled from /dev/zero: far over 32 MiB.
	cfg := newTaskConfig(t, "oom", "", busybox, "dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=4")
	cfg.Resources.MemoryMB = 32
	res, _ := runTask(t, d, cfg)
	if !res.OOMKilled || res.Signal != int(syscall.SIGKILL) {
		t.Errorf("result = %+v, want OOMKilled by SIGKILL", res)
	}
	if res.Successful() {
		t.Error("an OOM-killed task reports success")
	}
}

func TestNotOOMKilled(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	// A buffer well under the limit.
	cfg := newTaskConfig(t, "fits", "", busybox, "dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=4")
	cfg.Resources.MemoryMB = 64
	res, _ := runTask(t, d, cfg)
	if !res.Successful() {
		t.Errorf("result = %+v, want success", res)
	}
}

// cgroupFile reads a file of the task's cgroup for controller (v1) or from
// the unified hierarchy (v2).
func cgroupFile(t *testing.T, d *Driver, id, controller, file string) string {
	t.Helper()
	tk, err := d.lookupTask(id)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tk.state.CgroupMount, tk.cg.Path())
	if tk.state.CgroupVersion == 1 {
		mnt, err := v1ControllerMount(controller)
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(mnt, tk.cg.Path())
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestCgroupLimitsAndStats(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	cmd, args := sh(`while :; do :; done`)
	cfg := newTaskConfig(t, "limits", "", cmd, args...)
	cfg.Resources = drivers.Resources{CPUShares: 250, MemoryMB: 48, MemoryMaxMB: 96}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	tk, _ := d.lookupTask(cfg.ID)
	type check struct{ controller, file, want string }
	var checks []check
	if tk.state.CgroupVersion == 1 {
		checks = []check{
			{"memory", "memory.limit_in_bytes", strconv.Itoa(96 << 20)},
			{"memory", "memory.soft_limit_in_bytes", strconv.Itoa(48 << 20)},
			{"cpu", "cpu.shares", "250"},
			{"pids", "pids.max", strconv.Itoa(defaultPidsLimit)},
		}
	} else {
		checks = []check{
			{"memory", "memory.max", strconv.Itoa(96 << 20)},
			{"memory", "memory.low", strconv.Itoa(48 << 20)},
			{"cpu", "cpu.weight", strconv.FormatUint(sharesToWeight(250), 10)},
			{"pids", "pids.max", strconv.Itoa(defaultPidsLimit)},
		}
	}
	for _, c := range checks {
		if got := cgroupFile(t, d, cfg.ID, c.controller, c.file); got != c.want {
			t.Errorf("%s = %s, want %s", c.file, got, c.want)
		}
	}
	procs := cgroupFile(t, d, cfg.ID, "memory", "cgroup.procs")
	if procs != strconv.Itoa(tk.state.Pid) {
		t.Errorf("cgroup.procs = %q, want the task's pid %d only", procs, tk.state.Pid)
	}

	var u *drivers.TaskResourceUsage
	poll.UntilTrue(t, 20*time.Second, "CPU and memory usage", func() bool {
		var err error
		u, err = d.TaskStats(context.Background(), cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.CPUUserNS+u.CPUSystemNS > 0 && u.MemoryUsage > 0 && u.CPUPercent > 0
	})
	if u.Pids < 1 {
		t.Errorf("stats Pids = %d, want at least 1", u.Pids)
	}
	if err := d.StopTask(cfg.ID, 100*time.Millisecond, ""); err != nil {
		t.Fatal(err)
	}
}

func TestDestroyTask(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	cmd, args := sh(`exec sleep 300`)
	cfg := newTaskConfig(t, "destroy", "", cmd, args...)
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	tk, _ := d.lookupTask(cfg.ID)
	mnt := tk.state.CgroupMount
	cgDir := filepath.Join(mnt, tk.cg.Path())
	if _, err := os.Stat(cgDir); err != nil {
		t.Fatalf("task cgroup: %v", err)
	}
	if err := d.DestroyTask(cfg.ID, false); !errors.Is(err, ErrTaskRunning) {
		t.Fatalf("DestroyTask(running, no force) = %v, want %v", err, ErrTaskRunning)
	}
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask(force) = %v", err)
	}
	if _, err := os.Stat(cgDir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s still exists after destroy: %v", cgDir, err)
	}
	if err := syscall.Kill(tk.state.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("task pid %d still exists after destroy: %v", tk.state.Pid, err)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Errorf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}
}

func TestRecoverTask(t *testing.T) {
	requireRoot(t)
	d1 := newTestDriver(t, nil)
	// SIGINT is ignored, so the stop below escalates to SIGKILL.
	cmd, args := sh(`trap "" INT; i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.02; done`)
	cfg := newTaskConfig(t, "recover", "", cmd, args...)
	handle, err := d1.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The first driver "dies": it stops reading the task's output.
	tk1, err := d1.lookupTask(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := tk1.logs.Close(); err != nil {
		t.Fatal(err)
	}
	var st driverState
	if err := json.Unmarshal(handle.DriverState, &st); err != nil {
		t.Fatal(err)
	}

	// A handle's round trip through the client's store is JSON.
	raw, err := json.Marshal(handle)
	if err != nil {
		t.Fatal(err)
	}
	var restored drivers.TaskHandle
	if err := json.Unmarshal(raw, &restored); err != nil {
		t.Fatal(err)
	}

	d2 := newTestDriver(t, nil)
	if err := d2.RecoverTask(&restored); err != nil {
		t.Fatalf("RecoverTask() = %v", err)
	}
	if err := d2.RecoverTask(&restored); err != nil {
		t.Fatalf("RecoverTask() again = %v, want nil", err)
	}
	status, err := d2.InspectTask(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if status.State != drivers.TaskStateRunning || status.DriverAttributes["pid"] != strconv.Itoa(st.Pid) {
		t.Errorf("recovered status = %+v, want running with pid %d", status, st.Pid)
	}
	if now, err := procStartTime(st.Pid); err != nil || now != st.StartTime {
		t.Errorf("task pid %d start time = %d, %v; want %d (the same process)", st.Pid, now, err, st.StartTime)
	}
	if _, err := d2.TaskStats(context.Background(), cfg.ID); err != nil {
		t.Errorf("TaskStats on the recovered task = %v", err)
	}
	// The new driver drains the task's output again.
	seen := strings.Count(readLog(t, cfg, "stdout"), "tick")
	poll.UntilTrue(t, 10*time.Second, "new output after recovery", func() bool {
		return strings.Count(readLog(t, cfg, "stdout"), "tick") > seen+3
	})

	if err := d2.StopTask(cfg.ID, 100*time.Millisecond, ""); err != nil {
		t.Fatalf("StopTask on the recovered task = %v", err)
	}
	// d1, the parent, reaps the task; d2 reads the real status only if it
	// sees the zombie first (proc.ZombieExit), else reports it unknown.
	res := waitTask(t, d2, cfg.ID)
	if res.Err != proc.UnknownExitErr && res.Signal != int(syscall.SIGKILL) {
		t.Errorf("recovered result = %+v, want Err %q or SIGKILL", res, proc.UnknownExitErr)
	}
	// The first driver, the process's parent, saw the real status.
	if res1 := waitTask(t, d1, cfg.ID); res1.Signal != int(syscall.SIGKILL) {
		t.Errorf("parent's result = %+v, want SIGKILL", res1)
	}
}

func TestRecoverGoneOrReusedPid(t *testing.T) {
	requireRoot(t)
	// An unrelated host process, outside every task cgroup.
	bystander := exec.Command(busybox, "sleep", "300")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = bystander.Process.Kill()
		_ = bystander.Wait()
	})
	cases := []struct {
		name   string
		mutate func(st *driverState)
	}{
		{name: "exited", mutate: func(st *driverState) {}},
		{name: "pid reused by another process", mutate: func(st *driverState) { st.Pid = bystander.Process.Pid }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d1 := newTestDriver(t, nil)
			cmd, args := sh(`exec sleep 300`)
			cfg := newTaskConfig(t, "gone", "", cmd, args...)
			handle, err := d1.StartTask(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := d1.StopTask(cfg.ID, 0, "SIGKILL"); err != nil {
				t.Fatal(err)
			}
			waitTask(t, d1, cfg.ID)
			var st driverState
			if err := json.Unmarshal(handle.DriverState, &st); err != nil {
				t.Fatal(err)
			}
			tc.mutate(&st)
			handle.DriverState, _ = json.Marshal(st)

			d2 := newTestDriver(t, nil)
			if err := d2.RecoverTask(handle); err != nil {
				t.Fatalf("RecoverTask() = %v", err)
			}
			res := waitTask(t, d2, cfg.ID)
			if res.Err != proc.UnknownExitErr {
				t.Errorf("result = %+v, want Err %q", res, proc.UnknownExitErr)
			}
			if err := d2.StopTask(cfg.ID, 0, "SIGKILL"); err != nil {
				t.Fatal(err)
			}
			if err := bystander.Process.Signal(syscall.Signal(0)); err != nil {
				t.Errorf("the process now holding the pid was signalled: %v", err)
			}
		})
	}
}
