package rawexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/proc"
)

// ExecTask runs cmd next to the task: same environment, directory and user.
// A timeout of zero means no limit.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	t, err := d.task(taskID)
	if err != nil {
		return nil, err
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, errors.New("exec: command: required")
	}
	if t.proc.Result() != nil {
		return nil, fmt.Errorf("exec in task %q: task has exited", taskID)
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, err := command(t.cfg, cmd[0], cmd[1:])
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	run := exec.CommandContext(ctx, c.Path, cmd[1:]...)
	run.Args[0], run.Dir, run.Env, run.SysProcAttr = cmd[0], c.Dir, c.Env, c.SysProcAttr
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	err = run.Run()
	res := &drivers.ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, fmt.Errorf("exec in task %q: %w", taskID, ctx.Err())
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		if res.ExitCode < 0 {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				res.ExitCode = 128 + int(ws.Signal())
			}
		}
	default:
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	return res, nil
}

var _ drivers.ExecStreamer = (*Driver)(nil)

// ExecTaskStreaming runs an interactive command next to the task: same
// environment, directory and user (raw_exec has no isolation; the command
// runs as root on the host when the task does). It ends when the task
// does.
func (d *Driver) ExecTaskStreaming(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	t, err := d.task(taskID)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("exec: command: required")
	}
	if t.proc.Result() != nil {
		return nil, fmt.Errorf("exec in task %q: task has exited", taskID)
	}
	run, err := command(t.cfg, opts.Command[0], opts.Command[1:])
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	if run.SysProcAttr == nil {
		run.SysProcAttr = &syscall.SysProcAttr{}
	}
	run.SysProcAttr.Setsid = true
	run.SysProcAttr.Setctty = opts.Tty
	uid, gid := os.Getuid(), os.Getgid()
	if c := run.SysProcAttr.Credential; c != nil {
		uid, gid = int(c.Uid), int(c.Gid)
	}
	in := &proc.Interactive{Cmd: run, Opts: opts, TTYUID: uid, TTYGID: gid, Done: t.proc.Done()}
	return in.Run(ctx)
}
