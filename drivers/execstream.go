package drivers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"
)

// ExecStreamer is implemented by drivers that can run an interactive
// command inside a task: stdin, stdout and stderr are streams, and with a
// TTY the command gets a terminal that the caller can resize. It is an
// optional capability (the client checks for it by type assertion); a
// driver that has it also sets Capabilities.Exec. Execer, the one-shot
// form, stays as it was.
type ExecStreamer interface {
	// ExecTaskStreaming runs opts.Command in the task with the task's
	// isolation (namespaces, chroot or image, cgroup, user) and blocks
	// until it exits; the result carries its exit code (128+N, or Signal,
	// when a signal ended it). Cancelling ctx kills the command; so does
	// the task stopping. An error means the command did not run (unknown
	// task: ErrTaskNotFound; no such capability: ErrNotSupported).
	ExecTaskStreaming(ctx context.Context, taskID string, opts *ExecOptions) (*ExitResult, error)
}

// ExecOptions is one interactive command for ExecTaskStreaming.
type ExecOptions struct {
	// Command is argv; Command[0] is looked up in the task's PATH.
	Command []string
	// Tty gives the command a terminal as its stdin, stdout and stderr
	// (Stderr is then unused: the terminal merges both outputs).
	Tty bool
	// Stdin feeds the command; io.EOF closes its stdin. nil: an empty
	// stdin.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output; the driver calls
	// each from one goroutine at a time. Required.
	Stdout io.Writer
	Stderr io.Writer
	// ResizeCh delivers terminal sizes (with Tty); nil when none come.
	ResizeCh <-chan TerminalSize
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Height int `json:"Height"`
	Width  int `json:"Width"`
}

// ExecBuffered runs cmd through s with no stdin and returns its whole
// output: Execer's one-shot exec for a driver that has ExecStreamer. A
// timeout of zero means no limit; past it the command is killed and the
// error wraps context.DeadlineExceeded.
func ExecBuffered(ctx context.Context, s ExecStreamer, taskID string, cmd []string, timeout time.Duration) (*ExecResult, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var stdout, stderr bytes.Buffer
	res, err := s.ExecTaskStreaming(ctx, taskID, &ExecOptions{Command: cmd, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, ctx.Err())
	}
	return &ExecResult{ExitCode: res.ExitCode, Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}, nil
}
