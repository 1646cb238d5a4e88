package containerd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"

	"github.com/nomadlike/nomadlike/drivers"
)

var _ drivers.ExecStreamer = (*Driver)(nil)

// execIODrain bounds the wait, after the command exits, for its output to
// be copied out of the FIFOs.
const execIODrain = 2 * time.Second

// ExecTaskStreaming runs an interactive command in the task's container
// through containerd's exec API: the container's process spec (user,
// capabilities, environment, working directory, no_new_privs) with the
// command's argv and, with Tty, a console that the caller can resize. It
// ends when the task does.
func (d *Driver) ExecTaskStreaming(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("exec: command: required")
	}
	select {
	case <-h.doneCh:
		return nil, fmt.Errorf("exec in task %q: task has exited", taskID)
	default:
	}
	_, nsCtx, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(nsCtx)
	defer cancel()
	spec, err := h.container.Spec(ctx)
	if err != nil {
		return nil, fmt.Errorf("exec: read spec: %w", err)
	}
	pspec := *spec.Process
	pspec.Args = opts.Command
	pspec.Terminal = opts.Tty
	pspec.ConsoleSize = nil

	// stdin is a pipe the command's FIFO copy reads: its end (the
	// caller's EOF) closes the command's stdin.
	stdinR, stdinW := io.Pipe()
	defer stdinR.Close()
	go func() {
		if opts.Stdin != nil {
			_, _ = io.Copy(stdinW, opts.Stdin)
		}
		_ = stdinW.Close()
	}()
	stderr := opts.Stderr
	if stderr == nil || opts.Tty {
		stderr = io.Discard
	}
	streams := []cio.Opt{cio.WithStreams(stdinR, opts.Stdout, stderr), cio.WithFIFODir(d.fifoDir(h.containerID))}
	if opts.Tty {
		streams = append(streams, cio.WithTerminal)
	}
	execID := fmt.Sprintf("exec-%d", time.Now().UnixNano())
	proc, err := h.task.Exec(ctx, execID, &pspec, cio.NewCreator(streams...))
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	defer proc.Delete(context.WithoutCancel(ctx), containerd.WithProcessKill)
	exitCh, err := proc.Wait(ctx)
	if err != nil {
		return nil, fmt.Errorf("exec: wait: %w", err)
	}
	if err := proc.Start(ctx); err != nil {
		return nil, fmt.Errorf("exec: start: %w", err)
	}
	if opts.Tty && opts.ResizeCh != nil {
		go resizeLoop(ctx, proc, opts.ResizeCh)
	}
	var st containerd.ExitStatus
	select {
	case st = <-exitCh:
	case <-ctx.Done():
		return nil, d.killExec(ctx, proc, exitCh, ctx.Err())
	case <-h.doneCh:
		return nil, d.killExec(ctx, proc, exitCh, errors.New("the task stopped"))
	}
	if pio := proc.IO(); pio != nil {
		drained := make(chan struct{})
		go func() { pio.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(execIODrain):
			pio.Cancel()
		}
	}
	code := int(st.ExitCode())
	res := &drivers.ExitResult{ExitCode: code}
	if err := st.Error(); err != nil {
		res.Err = err.Error()
	}
	return res, nil
}

// killExec SIGKILLs an exec'd process and waits (bounded) for its exit.
func (d *Driver) killExec(ctx context.Context, proc containerd.Process, exitCh <-chan containerd.ExitStatus, cause error) error {
	bg := context.WithoutCancel(ctx)
	_ = proc.Kill(bg, syscall.SIGKILL)
	select {
	case <-exitCh:
	case <-time.After(execIODrain):
	}
	if pio := proc.IO(); pio != nil {
		pio.Cancel()
	}
	return fmt.Errorf("exec: %w", cause)
}

// resizeLoop applies terminal sizes to the exec'd process's console.
func resizeLoop(ctx context.Context, proc containerd.Process, ch <-chan drivers.TerminalSize) {
	for {
		select {
		case <-ctx.Done():
			return
		case sz, ok := <-ch:
			if !ok {
				return
			}
			if sz.Height <= 0 || sz.Width <= 0 || sz.Height > 0xffff || sz.Width > 0xffff {
				continue
			}
			if err := proc.Resize(ctx, uint32(sz.Width), uint32(sz.Height)); err != nil {
				return
			}
		}
	}
}
