package proc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
)

// ErrProcessGone is returned by Recover when the process no longer exists
// (or its pid now belongs to another process).
var ErrProcessGone = errors.New("process is gone")

// UnknownExitErr is the ExitResult.Err of a recovered process: it was not the
// driver's child, so its exit status cannot be known.
const UnknownExitErr = "exit status unknown: the task was recovered after a driver restart and is not the driver's child"

// killWait bounds the wait for a process to disappear after SIGKILL.
const killWait = 30 * time.Second

// Process is a task's main process, the leader of its process group. Its
// methods are safe for concurrent use.
type Process struct {
	pid       int
	startTime uint64

	done     chan struct{}
	result   *drivers.ExitResult
	exitedAt time.Time

	statsMu sync.Mutex
	last    *sample
}

// Start starts cmd as the leader of a new process group and waits for it in
// the background. cmd must not have been started.
func Start(cmd *exec.Cmd) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{pid: cmd.Process.Pid, done: make(chan struct{})}
	if st, err := readStat(p.pid); err == nil {
		p.startTime = st.startTime
	}
	go func() {
		err := cmd.Wait()
		p.finish(exitResult(cmd, err))
	}()
	return p, nil
}

// exitResult reads how a child ended; a signal death is exit code 128+sig.
func exitResult(cmd *exec.Cmd, err error) *drivers.ExitResult {
	res := &drivers.ExitResult{}
	ps := cmd.ProcessState
	if ps == nil {
		res.ExitCode, res.Err = -1, fmt.Sprintf("wait: %v", err)
		return res
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = int(ws.Signal())
		res.ExitCode = 128 + res.Signal
		return res
	}
	res.ExitCode = ps.ExitCode()
	return res
}

func (p *Process) finish(res *drivers.ExitResult) {
	p.result = res
	p.exitedAt = time.Now()
	close(p.done)
}

// Recover watches a process started by an earlier driver process. startTime
// (from StartTime then) guards against the pid having been reused; 0 skips
// the check. The process is not our child: its exit status is read from its
// zombie when a subreaper keeps it (ZombieExit), and is otherwise unknown:
// the result then has ExitCode -1 and Err UnknownExitErr. A process that
// exited and is still a zombie is recovered as exited.
func Recover(pid int, startTime uint64) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("pid %d: %w", pid, ErrProcessGone)
	}
	p := &Process{pid: pid, startTime: startTime, done: make(chan struct{})}
	fd, pidfdErr := unix.PidfdOpen(pid, 0)
	if pidfdErr != nil && errors.Is(pidfdErr, unix.ESRCH) {
		return nil, fmt.Errorf("pid %d: %w", pid, ErrProcessGone)
	}
	// Checked after the pidfd is open: the fd then refers to this process.
	if !p.alive() {
		if pidfdErr == nil {
			_ = unix.Close(fd)
		}
		// Exited but not reaped (see ZombieExit): recovered as exited.
		if res, ok := ZombieExit(pid, startTime); ok {
			p.finish(res)
			return p, nil
		}
		return nil, fmt.Errorf("pid %d: %w", pid, ErrProcessGone)
	}
	unknown := &drivers.ExitResult{ExitCode: -1, Err: UnknownExitErr}
	exited := func() *drivers.ExitResult {
		if res, ok := ZombieExit(pid, startTime); ok {
			return res
		}
		return unknown
	}
	if pidfdErr == nil {
		go func() {
			defer unix.Close(fd)
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			for {
				_, err := unix.Poll(fds, -1)
				if err == nil || !errors.Is(err, unix.EINTR) {
					break
				}
			}
			p.finish(exited())
		}()
		return p, nil
	}
	// No pidfd (kernel before 5.3): poll /proc.
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for range t.C {
			if !p.alive() {
				break
			}
		}
		p.finish(exited())
	}()
	return p, nil
}

// alive reports whether the process exists, is not a zombie and is the
// same process (same start time).
func (p *Process) alive() bool {
	st, err := readStat(p.pid)
	if err != nil || st.state == 'Z' || st.state == 'X' {
		return false
	}
	return p.startTime == 0 || st.startTime == p.startTime
}

// Pid is the main process's pid, also its process group ID.
func (p *Process) Pid() int { return p.pid }

// StartTime is the process's start time in clock ticks after boot, for Recover.
func (p *Process) StartTime() uint64 { return p.startTime }

// Done is closed when the main process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Result is how the process ended; nil until Done is closed.
func (p *Process) Result() *drivers.ExitResult {
	select {
	case <-p.done:
		return p.result
	default:
		return nil
	}
}

// ExitedAt is when the exit was noticed; zero until Done is closed.
func (p *Process) ExitedAt() time.Time {
	select {
	case <-p.done:
		return p.exitedAt
	default:
		return time.Time{}
	}
}

// Wait blocks until the process exits or ctx is done.
func (p *Process) Wait(ctx context.Context) (*drivers.ExitResult, error) {
	select {
	case <-p.done:
		return p.result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Signal sends sig to the main process.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return fmt.Errorf("signal %v: process %d has exited", sig, p.pid)
	default:
	}
	if err := syscall.Kill(p.pid, sig); err != nil {
		return fmt.Errorf("signal %v to process %d: %w", sig, p.pid, err)
	}
	return nil
}

// Stop sends sig to the main process and waits up to timeout for it to exit;
// then it kills the whole process group with SIGKILL (also any process the
// task left behind) and waits for the main process to go.
func (p *Process) Stop(sig syscall.Signal, timeout time.Duration) error {
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(p.pid, sig)
		t := time.NewTimer(timeout)
		select {
		case <-p.done:
		case <-t.C:
		}
		t.Stop()
	}
	return p.Kill()
}

// Kill sends SIGKILL to the whole process group and waits for the main
// process to exit.
func (p *Process) Kill() error {
	if err := syscall.Kill(-p.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", p.pid, err)
	}
	t := time.NewTimer(killWait)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		return fmt.Errorf("process %d still running %v after SIGKILL", p.pid, killWait)
	}
}
