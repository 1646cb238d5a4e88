package drivertest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// The cases of drivers.ExecStreamer (interactive exec).

// streamer returns the driver's ExecStreamer, or nil (after checking that
// a driver without exec says so) when it has none.
func streamer(t *testing.T, s *suite) drivers.ExecStreamer {
	t.Helper()
	es, ok := s.driver().(drivers.ExecStreamer)
	if !ok {
		t.Fatal("the plugin client does not implement drivers.ExecStreamer")
	}
	if !s.driver().Info().Capabilities.Exec {
		opts := &drivers.ExecOptions{Command: []string{"true"}, Stdout: io.Discard, Stderr: io.Discard}
		if _, err := es.ExecTaskStreaming(context.Background(), "x", opts); !errors.Is(err, drivers.ErrNotSupported) {
			t.Fatalf("ExecTaskStreaming on a driver without exec = %v, want ErrNotSupported", err)
		}
		return nil
	}
	return es
}

// execAsync runs opts in the task and delivers the outcome on the channel.
type execOutcome struct {
	res *drivers.ExitResult
	err error
}

func execAsync(ctx context.Context, es drivers.ExecStreamer, taskID string, opts *drivers.ExecOptions) <-chan execOutcome {
	ch := make(chan execOutcome, 1)
	go func() {
		res, err := es.ExecTaskStreaming(ctx, taskID, opts)
		ch <- execOutcome{res, err}
	}()
	return ch
}

func awaitExec(t *testing.T, s *suite, ch <-chan execOutcome) execOutcome {
	timeout := s.h.Timeout
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(timeout):
		t.Fatalf("ExecTaskStreaming did not return within %s", timeout)
	}
	return execOutcome{}
}

func testExecStreamPipes(t *testing.T, s *suite) {
	es := streamer(t, s)
	if es == nil {
		return
	}
	cfg, _ := s.start(t, "exec sleep 1000")
	var stdout, stderr SyncBuffer
	opts := &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", `read x; echo "got $x $GREETING"; [ -t 0 ] || echo no-tty >&2; exit 7`},
		Stdin:   strings.NewReader("hello\n"),
		Stdout:  &stdout,
		Stderr:  &stderr,
	}
	o := awaitExec(t, s, execAsync(context.Background(), es, cfg.ID, opts))
	if o.err != nil {
		t.Fatalf("ExecTaskStreaming: %v", o.err)
	}
	if o.res.ExitCode != 7 || stdout.String() != "got hello hello from the suite\n" || stderr.String() != "no-tty\n" {
		t.Fatalf("ExecTaskStreaming = code %d stdout %q stderr %q; want 7, the input and the task's env, no-tty", o.res.ExitCode, stdout.String(), stderr.String())
	}
}

func testExecStreamTTY(t *testing.T, s *suite) {
	es := streamer(t, s)
	if es == nil {
		return
	}
	cfg, _ := s.start(t, "exec sleep 1000")
	var out SyncBuffer
	stdin := NewFeeder()
	defer stdin.Close()
	resize := make(chan drivers.TerminalSize, 1)
	resize <- drivers.TerminalSize{Height: 33, Width: 101}
	opts := &drivers.ExecOptions{
		Command:  []string{"/bin/sh", "-c", `[ -t 0 ] && echo is-a-tty; while read x; do [ "$x" = q ] && exit 5; stty size; done`},
		Tty:      true,
		Stdin:    stdin,
		Stdout:   &out,
		Stderr:   io.Discard,
		ResizeCh: resize,
	}
	ch := execAsync(context.Background(), es, cfg.ID, opts)
	// The size travels apart from stdin: ask until the shell sees it.
	s.poll(t, "the terminal size 33 101 in the output", func() bool {
		stdin.Send("\n")
		return strings.Contains(out.String(), "33 101")
	})
	stdin.Send("q\n")
	o := awaitExec(t, s, ch)
	if o.err != nil {
		t.Fatalf("ExecTaskStreaming: %v", o.err)
	}
	if o.res.ExitCode != 5 || !strings.Contains(out.String(), "is-a-tty") || !strings.Contains(out.String(), "33 101") {
		t.Fatalf("ExecTaskStreaming(tty) = code %d output %q; want 5, is-a-tty, 33 101", o.res.ExitCode, out.String())
	}
}

func testExecStreamTaskStop(t *testing.T, s *suite) {
	es := streamer(t, s)
	if es == nil {
		return
	}
	cfg, _ := s.start(t, "exec sleep 1000")
	var out SyncBuffer
	stdin := NewFeeder()
	defer stdin.Close()
	opts := &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", "echo started; exec sleep 1000"},
		Stdin:   stdin, Stdout: &out, Stderr: io.Discard,
	}
	ch := execAsync(context.Background(), es, cfg.ID, opts)
	s.poll(t, "the exec'd command to start", func() bool { return strings.Contains(out.String(), "started") })
	if err := s.driver().StopTask(cfg.ID, time.Second, "SIGKILL"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	o := awaitExec(t, s, ch)
	if o.err == nil && o.res.ExitCode == 0 {
		t.Fatalf("ExecTaskStreaming after the task stopped = %+v, want a killed command", o.res)
	}
}

func testExecStreamCancel(t *testing.T, s *suite) {
	es := streamer(t, s)
	if es == nil {
		return
	}
	cfg, _ := s.start(t, "exec sleep 1000")
	var out SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := &drivers.ExecOptions{
		Command: []string{"/bin/sh", "-c", "echo started; exec sleep 1000"},
		Stdout:  &out, Stderr: io.Discard,
	}
	ch := execAsync(ctx, es, cfg.ID, opts)
	s.poll(t, "the exec'd command to start", func() bool { return strings.Contains(out.String(), "started") })
	cancel()
	awaitExec(t, s, ch) // returns (an error or a killed result) instead of hanging
	st, err := s.driver().InspectTask(cfg.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("InspectTask after a cancelled exec = %+v, %v; want the task still running", st, err)
	}
}
