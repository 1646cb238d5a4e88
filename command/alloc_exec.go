package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// allocExecCommand is `alloc exec` as Nomad's: an interactive command in a
// running task over the exec websocket; the CLI exits with the command's
// exit code.
func allocExecCommand() *cli.Command {
	return &cli.Command{
		Name:  "exec",
		Usage: "Run a command inside a running task (interactive, as Nomad's)",
		Description: "Runs CMD inside the task with its isolation (user, namespaces, chroot or image, cgroup).\n" +
			"With -t, the command gets a terminal; type the escape character (-e, default ~) then '.' at the\n" +
			"start of a line to end the session.",
		ArgsUsage: "ALLOC CMD [ARGS...]",
		Flags: []cli.Flag{addressFlag(),
			&cli.StringFlag{Name: "task", Usage: "task to run in (required when the group has several)"},
			&cli.BoolFlag{Name: "job", Usage: "the first argument is a job ID: use one of its running allocations, at random"},
			&cli.BoolFlag{Name: "i", Value: true, Usage: "pass stdin to the command"},
			&cli.BoolFlag{Name: "t", Value: stdinIsTerminal(), Usage: "allocate a terminal (default: when stdin is one)"},
			&cli.StringFlag{Name: "e", Value: "~", Usage: `escape character with -t ("none" disables)`}},
		Action: runAllocExec,
	}
}

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

func runAllocExec(c *cli.Context) error {
	if c.NArg() < 2 {
		return userError("usage: alloc exec [-task T] [-i] [-t] [-e ~] ALLOC CMD [ARGS...]")
	}
	escape := c.String("e")
	if escape != "none" && len(escape) != 1 {
		return userError(`-e: the escape character must be one character or "none", not %q`, escape)
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	id, err := execAlloc(c, client)
	if err != nil {
		return err
	}
	task, err := allocTask(c, client, id, c.String("task"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(cmdContext(c))
	defer cancel()
	s := &api.ExecSession{
		Task: task, Command: c.Args().Slice()[1:], Tty: c.Bool("t"),
		Stdout: rawWriter(c.App.Writer), Stderr: rawWriter(c.App.ErrWriter),
	}
	if s.Stderr == nil {
		s.Stderr = os.Stderr
	}
	var in io.Reader = os.Stdin
	if c.App.Reader != nil {
		in = c.App.Reader
	}
	if s.Tty {
		restore, sizes, err := setupTerminal(ctx, in)
		if err != nil {
			return err
		}
		defer restore()
		s.SizeCh = sizes
		if escape != "none" {
			in = &escapeReader{r: in, esc: escape[0], atLineStart: true, onQuit: cancel}
		}
	}
	if c.Bool("i") {
		s.Stdin = in
	}
	code, err := client.Allocations().ExecStream(ctx, id, s)
	if err != nil {
		if errors.Is(err, context.Canceled) && cmdContext(c).Err() == nil {
			return withCode(1, errors.New("session ended by the escape sequence"))
		}
		return agentError(c, "exec", err)
	}
	if code != 0 {
		return quietExit(code, fmt.Sprintf("command exited with code %d", code))
	}
	return nil
}

// execAlloc resolves the ALLOC argument, or with -job picks a running
// allocation of the job named by it.
func execAlloc(c *cli.Context, client *api.Client) (string, error) {
	if !c.Bool("job") {
		return allocArg(c, client)
	}
	jobID, err := resolveJob(cmdContext(c), client, c.Args().First())
	if err != nil {
		return "", err
	}
	allocs, _, err := client.Jobs().Allocations(cmdContext(c), jobID, false, nil)
	if err != nil {
		return "", agentError(c, "list the job's allocations", err)
	}
	var running []string
	for _, a := range allocs {
		if a.ClientStatus == nomadlike.AllocClientStatusRunning {
			running = append(running, a.ID)
		}
	}
	if len(running) == 0 {
		return "", userError("job %q has no running allocation", jobID)
	}
	return running[rand.IntN(len(running))], nil
}

// setupTerminal puts the local terminal in raw mode and reports its size
// now and on every SIGWINCH. restore undoes both.
func setupTerminal(ctx context.Context, in io.Reader) (restore func(), sizes <-chan api.TerminalSize, err error) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}, nil, nil // -t without a local terminal: the remote one is still a TTY
	}
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, nil, fmt.Errorf("terminal raw mode: %w", err)
	}
	ch := make(chan api.TerminalSize, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	report := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case <-ch:
			default:
			}
			ch <- api.TerminalSize{Height: h, Width: w}
		}
	}
	report()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-winch:
				report()
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		close(done)
		_ = term.Restore(fd, old)
	}, ch, nil
}

// escapeReader passes input through and ends the session when it reads
// the escape character then '.' at the start of a line (as ssh and
// Nomad); the escape character twice sends it once.
type escapeReader struct {
	r           io.Reader
	esc         byte
	atLineStart bool
	pending     bool // read esc at a line start, waiting for the next byte
	onQuit      func()
}

func (e *escapeReader) Read(p []byte) (int, error) {
	// One byte of room for an escape character held from the last read.
	buf := make([]byte, max(len(p)-1, 1))
	n, err := e.r.Read(buf)
	out := p[:0]
	for _, b := range buf[:n] {
		switch {
		case e.pending:
			e.pending = false
			if b == '.' {
				e.onQuit()
				return len(out), io.EOF
			}
			if b != e.esc {
				out = append(out, e.esc)
			}
			out = append(out, b)
		case e.atLineStart && b == e.esc:
			e.pending = true
			continue
		default:
			out = append(out, b)
		}
		e.atLineStart = b == '\r' || b == '\n'
	}
	return len(out), err
}
