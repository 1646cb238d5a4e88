package proc

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/creack/pty"

	"github.com/nomadlike/nomadlike/drivers"
)

// outputDrain bounds how long RunInteractive waits, after the command
// exits, for output still buffered in its pipes or terminal: a background
// child that keeps them open must not hold the session.
const outputDrain = 2 * time.Second

// Interactive is one command run for drivers.ExecStreamer by a driver
// that starts it as its own child (raw_exec directly, exec through its
// namespace-entering helper).
type Interactive struct {
	// Cmd is the command, not started; RunInteractive sets its standard
	// streams. With Tty, the command's process is expected to make the
	// terminal (its stdin) its controlling terminal (SysProcAttr.Setsid
	// and Setctty), or to start a child that does.
	Cmd  *exec.Cmd
	Opts *drivers.ExecOptions
	// TTYUID and TTYGID, with Tty, own the terminal's device (the task's
	// user).
	TTYUID, TTYGID int
	// Started, when set, runs right after the process starts; an error
	// kills it and is returned.
	Started func(pid int) error
	// Done, when set, ends the command when it is closed: the task
	// stopped.
	Done <-chan struct{}
	// Stop ends the command when ctx or Done ends; nil: SIGKILL.
	Stop func(*os.Process) error
}

// Run starts the command, copies its streams, and returns how it exited
// once it has and its output has been written. Cancelling ctx kills it.
func (in *Interactive) Run(ctx context.Context) (*drivers.ExitResult, error) {
	var (
		outs    []*os.File // read ends the parent copies from
		closeIn []io.Closer
		err     error
	)
	if in.Opts.Tty {
		outs, closeIn, err = in.wireTTY()
	} else {
		outs, closeIn, err = in.wirePipes()
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range outs {
			f.Close()
		}
	}()
	if err := in.Cmd.Start(); err != nil {
		closeAll(closeIn)
		return nil, fmt.Errorf("exec: start %s: %w", in.Cmd.Path, err)
	}
	closeAll(closeIn) // the child's ends
	if in.Started != nil {
		if err := in.Started(in.Cmd.Process.Pid); err != nil {
			_ = in.Cmd.Process.Kill()
			_ = in.Cmd.Wait()
			return nil, err
		}
	}
	var copies sync.WaitGroup
	writers := []io.Writer{in.Opts.Stdout, in.Opts.Stderr}
	for i, f := range outs {
		copies.Add(1)
		go func() {
			defer copies.Done()
			w := writers[i]
			if w == nil {
				w = io.Discard
			}
			_, _ = io.Copy(w, f)
		}()
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-in.Done:
		case <-stop:
			return
		}
		if in.Stop != nil {
			_ = in.Stop(in.Cmd.Process)
			return
		}
		_ = in.Cmd.Process.Kill()
	}()
	werr := in.Cmd.Wait()
	drained := make(chan struct{})
	go func() { copies.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(outputDrain):
		for _, f := range outs {
			f.Close() // unblocks the copies
		}
		<-drained
	}
	if in.Cmd.ProcessState == nil {
		return nil, fmt.Errorf("exec: wait: %w", werr)
	}
	return exitResult(in.Cmd, werr), nil
}

// wireTTY gives the command a new terminal and starts copying stdin and
// terminal sizes to it. It returns the master as the output to copy.
func (in *Interactive) wireTTY() ([]*os.File, []io.Closer, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("exec: open a terminal: %w", err)
	}
	if err := slave.Chown(in.TTYUID, in.TTYGID); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("exec: terminal owner: %w", err)
	}
	in.Cmd.Stdin, in.Cmd.Stdout, in.Cmd.Stderr = slave, slave, slave
	go func() {
		if in.Opts.Stdin != nil {
			_, _ = io.Copy(master, in.Opts.Stdin)
		}
	}()
	if ch := in.Opts.ResizeCh; ch != nil {
		go func() {
			for sz := range ch {
				if sz.Height <= 0 || sz.Width <= 0 || sz.Height > 0xffff || sz.Width > 0xffff {
					continue
				}
				if pty.Setsize(master, &pty.Winsize{Rows: uint16(sz.Height), Cols: uint16(sz.Width)}) != nil {
					return // the terminal is closed
				}
			}
		}()
	}
	return []*os.File{master}, []io.Closer{slave}, nil
}

// wirePipes gives the command three pipes.
func (in *Interactive) wirePipes() ([]*os.File, []io.Closer, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll([]io.Closer{inR, inW})
		return nil, nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll([]io.Closer{inR, inW, outR, outW})
		return nil, nil, err
	}
	in.Cmd.Stdin, in.Cmd.Stdout, in.Cmd.Stderr = inR, outW, errW
	go func() {
		defer inW.Close()
		if in.Opts.Stdin != nil {
			_, _ = io.Copy(inW, in.Opts.Stdin)
		}
	}()
	return []*os.File{outR, errR}, []io.Closer{inR, outW, errW}, nil
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		_ = c.Close()
	}
}
