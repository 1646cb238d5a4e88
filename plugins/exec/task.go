package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/logging"
	"github.com/nomadlike/nomadlike/drivers/proc"
)

// logDrainTimeout bounds how long an exited task's result waits for the log
// copy to reach the end of the task's output.
const logDrainTimeout = 5 * time.Second

// task is one running or exited task. Methods are safe for concurrent use.
type task struct {
	id     string
	cfg    *drivers.TaskConfig
	state  driverState
	cg     taskCgroup
	logs   *logging.TaskLogs
	logger hclog.Logger

	// done is closed once exit is set.
	done chan struct{}

	mu          sync.Mutex
	exit        *drivers.ExitResult
	completedAt time.Time
	pidfd       int         // recovered tasks: a pidfd to signal through; -1 otherwise
	child       *os.Process // tasks this driver process started
	lastCPU     uint64      // cgroup CPU time at lastSample, for CPUPercent
	lastSample  time.Time
	// emulated is the signal whose default action the driver applied with
	// SIGKILL (see signal.go); 0 when none.
	emulated syscall.Signal
}

func newTask(cfg *drivers.TaskConfig, st driverState, cg taskCgroup, logs *logging.TaskLogs, logger hclog.Logger) *task {
	return &task{
		id:     cfg.ID,
		cfg:    cfg,
		state:  st,
		cg:     cg,
		logs:   logs,
		logger: logger.With("task_id", cfg.ID),
		done:   make(chan struct{}),
		pidfd:  -1,
	}
}

// waitChild reaps a task this driver process started and records how it
// ended.
func (t *task) waitChild(child *os.Process) {
	ps, err := child.Wait()
	res := &drivers.ExitResult{}
	switch {
	case err != nil:
		res.Err = fmt.Sprintf("wait for pid %d: %v", child.Pid, err)
		res.ExitCode = -1
	default:
		ws, _ := ps.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled():
			res.Signal = int(ws.Signal())
			res.ExitCode = 128 + res.Signal
		default:
			res.ExitCode = ws.ExitStatus()
		}
	}
	t.finish(res)
}

// finish completes the result with the cgroup's OOM record, kills whatever
// the task left in its cgroup, lets the logs drain and publishes the result.
func (t *task) finish(res *drivers.ExitResult) {
	if n, err := t.cg.OOMKills(); err != nil {
		t.logger.Warn("cannot read the OOM kill count", "error", err)
	} else if n > 0 {
		res.OOMKilled = true
	}
	t.mu.Lock()
	emulated := t.emulated
	t.mu.Unlock()
	if emulated != 0 && !res.OOMKilled && res.Signal == int(syscall.SIGKILL) {
		res.Signal = int(emulated)
		res.ExitCode = 128 + res.Signal
	}
	// With a private PID namespace the kernel has killed the rest already;
	// with the host's, stragglers would keep the cgroup and the logs alive.
	if err := t.cg.Kill(); err != nil {
		t.logger.Warn("cannot kill the task's remaining processes", "error", err)
	}
	if t.logs != nil {
		select {
		case <-t.logs.Done():
		case <-time.After(logDrainTimeout):
			t.logger.Warn("task output still open after exit; logs may be cut")
		}
	}
	t.mu.Lock()
	t.exit = res
	t.completedAt = time.Now().UTC()
	t.mu.Unlock()
	close(t.done)
	t.logger.Info("task exited", "exit_code", res.ExitCode, "signal", res.Signal, "oom_killed", res.OOMKilled, "err", res.Err)
}

func (t *task) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// signal delivers sig to the task's process (PID 1 of its namespace).
func (t *task) signal(sig syscall.Signal) error {
	if t.exited() {
		return nil
	}
	t.mu.Lock()
	child, pidfd := t.child, t.pidfd
	t.mu.Unlock()
	var err error
	switch {
	case child != nil:
		err = child.Signal(sig)
		if errors.Is(err, os.ErrProcessDone) {
			err = nil
		}
	case pidfd >= 0:
		err = unix.PidfdSendSignal(pidfd, sig, nil, 0)
		if errors.Is(err, unix.ESRCH) {
			err = nil
		}
	default:
		// Recovered after its process was gone: it is exiting.
		return nil
	}
	if err != nil {
		return fmt.Errorf("signal %v to task %s: %w", sig, t.id, err)
	}
	return nil
}

// kill SIGKILLs every process of the task.
func (t *task) kill() error {
	errSig := t.signal(syscall.SIGKILL)
	errCg := t.cg.Kill()
	return errors.Join(errSig, errCg)
}

// waitDone waits for the task's exit up to timeout.
func (t *task) waitDone(timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.done:
		return true
	case <-timer.C:
		return false
	}
}

// killTimeout bounds the wait for a SIGKILLed task to be reaped.
const killTimeout = 30 * time.Second

// WaitTask blocks until the task exits or ctx is done.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (*drivers.ExitResult, error) {
	t, err := d.lookupTask(taskID)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
		t.mu.Lock()
		defer t.mu.Unlock()
		res := *t.exit
		return &res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StopTask sends the signal (the task's kill_signal, else SIGINT) and kills
// the whole cgroup if the task has not exited after timeout. A task that is
// PID 1 of its namespace and does not handle the signal gets its default
// action applied by the driver (see signal.go).
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	t, err := d.lookupTask(taskID)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = t.cfg.KillSignal
	}
	sig, err := proc.ParseSignal(signal, syscall.SIGINT)
	if err != nil {
		return fmt.Errorf("stop task %s: %w", taskID, err)
	}
	if err := t.deliver(sig); err != nil {
		return err
	}
	if t.waitDone(timeout) {
		return nil
	}
	t.logger.Debug("task did not stop in time; killing it", "timeout", timeout)
	if err := t.kill(); err != nil {
		t.logger.Warn("kill task", "error", err)
	}
	if !t.waitDone(killTimeout) {
		return fmt.Errorf("stop task %s: still running %s after SIGKILL", taskID, killTimeout)
	}
	return nil
}

// SignalTask delivers a signal to the task.
func (d *Driver) SignalTask(taskID string, signal string) error {
	t, err := d.lookupTask(taskID)
	if err != nil {
		return err
	}
	if signal == "" {
		return fmt.Errorf("signal task %s: signal: required", taskID)
	}
	sig, err := proc.ParseSignal(signal, 0)
	if err != nil {
		return fmt.Errorf("signal task %s: %w", taskID, err)
	}
	return t.deliver(sig)
}

// DestroyTask kills the task when force is set, then removes its cgroup and
// stops copying its logs. The mounts live in the task's mount namespace and
// vanish with it.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	t, err := d.lookupTask(taskID)
	if err != nil {
		return err
	}
	if !t.exited() {
		if !force {
			return fmt.Errorf("destroy task %s: %w", taskID, ErrTaskRunning)
		}
		if err := t.kill(); err != nil {
			t.logger.Warn("kill task", "error", err)
		}
		if !t.waitDone(killTimeout) {
			return fmt.Errorf("destroy task %s: still running %s after SIGKILL", taskID, killTimeout)
		}
	}
	var errs []error
	if t.logs != nil {
		if err := t.logs.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := deleteCgroup(t.cg); err != nil {
		errs = append(errs, err)
	}
	t.mu.Lock()
	if t.pidfd >= 0 {
		unix.Close(t.pidfd)
		t.pidfd = -1
	}
	t.mu.Unlock()
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	if len(errs) > 0 {
		return fmt.Errorf("destroy task %s: %w", taskID, errors.Join(errs...))
	}
	return nil
}

// deleteCgroup removes a cgroup, killing and waiting for processes that are
// still leaving it.
func deleteCgroup(cg taskCgroup) error {
	deadline := time.Now().Add(killTimeout)
	for {
		err := cg.Delete()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		_ = cg.Kill()
		time.Sleep(20 * time.Millisecond) // poll interval until the deadline
	}
}

// InspectTask returns the task's status.
func (d *Driver) InspectTask(taskID string) (*drivers.TaskStatus, error) {
	t, err := d.lookupTask(taskID)
	if err != nil {
		return nil, err
	}
	st := &drivers.TaskStatus{
		ID:        t.id,
		Name:      t.cfg.Name,
		State:     drivers.TaskStateRunning,
		StartedAt: t.state.StartedAt,
		DriverAttributes: map[string]string{
			"pid":            strconv.Itoa(t.state.Pid),
			"cgroup":         t.cg.Path(),
			"cgroup_version": strconv.Itoa(t.state.CgroupVersion),
		},
	}
	if t.exited() {
		t.mu.Lock()
		res := *t.exit
		st.State = drivers.TaskStateExited
		st.CompletedAt = t.completedAt
		st.ExitResult = &res
		t.mu.Unlock()
	}
	return st, nil
}

// TaskStats samples the task's cgroup.
func (d *Driver) TaskStats(ctx context.Context, taskID string) (*drivers.TaskResourceUsage, error) {
	t, err := d.lookupTask(taskID)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := t.cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats of task %s: %w", taskID, err)
	}
	now := time.Now()
	u := &drivers.TaskResourceUsage{
		Timestamp:   now.UTC(),
		CPUUserNS:   s.cpuUserNS,
		CPUSystemNS: s.cpuSystemNS,
		MemoryRSS:   s.memoryRSS,
		MemoryUsage: s.memoryUsage,
		MemoryMax:   s.memoryMax,
		Pids:        s.pids,
	}
	t.mu.Lock()
	if !t.lastSample.IsZero() && s.cpuTotalNS >= t.lastCPU {
		if elapsed := now.Sub(t.lastSample); elapsed > 0 {
			u.CPUPercent = float64(s.cpuTotalNS-t.lastCPU) / float64(elapsed.Nanoseconds()) * 100
		}
	}
	t.lastCPU, t.lastSample = s.cpuTotalNS, now
	t.mu.Unlock()
	return u, nil
}
