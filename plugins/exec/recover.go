package exec

import (
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/logging"
	"github.com/nomadlike/nomadlike/drivers/proc"
)

// exitUnknown is the ExitResult.Err of a recovered task whose exit status
// could not be observed: only a process's parent can read it, and the parent
// was an earlier driver process. Shared with the other host-process drivers.
const exitUnknown = proc.UnknownExitErr

// RecoverTask reattaches to a task started by an earlier driver process: the
// process (checked by PID and start time, so a reused PID is never taken for
// the task), its cgroup and its log FIFOs. A task that exited meanwhile is
// recovered as exited.
func (d *Driver) RecoverTask(handle *drivers.TaskHandle) error {
	if handle == nil || handle.Config == nil || handle.Config.ID == "" {
		return fmt.Errorf("%w: recover task: handle without a task config", ErrInvalidConfig)
	}
	if handle.Version != handleVersion {
		return fmt.Errorf("recover task %s: handle version %d, want %d", handle.Config.ID, handle.Version, handleVersion)
	}
	var st driverState
	if err := json.Unmarshal(handle.DriverState, &st); err != nil {
		return fmt.Errorf("recover task %s: decode driver state: %w", handle.Config.ID, err)
	}
	if st.Pid <= 0 || st.CgroupPath == "" {
		return fmt.Errorf("recover task %s: driver state without pid or cgroup", handle.Config.ID)
	}
	cfg := handle.Config

	d.mu.Lock()
	if _, ok := d.tasks[cfg.ID]; ok {
		d.mu.Unlock()
		return nil
	}
	d.tasks[cfg.ID] = nil
	d.mu.Unlock()
	recovered := false
	defer func() {
		if !recovered {
			d.mu.Lock()
			delete(d.tasks, cfg.ID)
			d.mu.Unlock()
		}
	}()

	h := hierarchy{version: st.CgroupVersion, mount: st.CgroupMount}
	cg, err := loadTaskCgroup(h, st.CgroupPath)
	if err != nil {
		return fmt.Errorf("recover task %s: %w", cfg.ID, err)
	}
	pidfd, perr := openPidfd(st.Pid, st.StartTime)
	if perr != nil && !errors.Is(perr, ErrProcessGone) {
		// The task cannot be watched: leave nothing of it running.
		if kerr := cg.Kill(); kerr != nil {
			d.logger.Warn("cannot kill the unrecoverable task's cgroup", "task_id", cfg.ID, "error", kerr)
		}
		return fmt.Errorf("recover task %s: %w", cfg.ID, perr)
	}
	logs, err := logging.Reopen(cfg.Logs, cfg.Name)
	if err != nil {
		d.logger.Warn("cannot resume the task's logs", "task_id", cfg.ID, "error", err)
		logs = nil
	}

	t := newTask(cfg, st, cg, logs, d.logger)
	if perr != nil {
		t.logger.Info("recovered task had already exited", "pid", st.Pid)
		go t.finish(t.recoveredExit())
	} else {
		t.pidfd = pidfd
		go t.waitRecovered(pidfd)
	}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	recovered = true
	d.logger.Info("task recovered", "task_id", cfg.ID, "pid", st.Pid, "running", perr == nil)
	return nil
}

// waitRecovered waits for a recovered task through its pidfd. The process is
// not this driver's child: see recoveredExit for its exit status.
func (t *task) waitRecovered(pidfd int) {
	if _, err := waitPidfd(pidfd, nil); err != nil {
		t.finish(&drivers.ExitResult{ExitCode: -1, Err: fmt.Sprintf("wait for pid %d: %v", t.state.Pid, err)})
		return
	}
	t.finish(t.recoveredExit())
}

// recoveredExit is how a recovered task ended: its zombie's wait status when
// the client agent, as child subreaper, keeps it for us (proc.ZombieExit),
// else unknown; an OOM kill is read from the cgroup either way.
func (t *task) recoveredExit() *drivers.ExitResult {
	res, ok := proc.ZombieExit(t.state.Pid, t.state.StartTime)
	if !ok {
		res = &drivers.ExitResult{ExitCode: -1, Err: exitUnknown}
	}
	if n, err := t.cg.OOMKills(); err == nil && n > 0 {
		// The kernel's OOM killer uses SIGKILL.
		res.Signal = int(unix.SIGKILL)
		res.ExitCode = 128 + res.Signal
		res.Err = ""
	}
	return res
}
