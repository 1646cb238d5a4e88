package rawexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/proc"
)

// ExecTask runs cmd next to the task: same environment, directory and
// user, and returns its output (the one-shot form of ExecTaskStreaming).
// A timeout of zero means no limit.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	return drivers.ExecBuffered(context.Background(), d, taskID, cmd, timeout)
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
