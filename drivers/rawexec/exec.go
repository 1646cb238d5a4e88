package rawexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
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
