package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"syscall"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/proc"
	"github.com/nomadlike/nomadlike/plugins/exec/execinit"
)

var (
	_ drivers.ExecStreamer = (*Driver)(nil)
	_ drivers.Execer       = (*Driver)(nil)
)

// enterTimeout bounds how long the exec helper may take to join the task
// and start the command.
const enterTimeout = 30 * time.Second

// ExecTaskStreaming runs a command inside the task: its namespaces (IPC,
// UTS, PID, mount), its root, its cgroup, its user, capabilities and
// no_new_privs, through the exec helper of package execinit. It ends when
// the task does.
func (d *Driver) ExecTaskStreaming(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("exec: command: required")
	}
	t, err := d.lookupTask(taskID)
	if err != nil {
		return nil, err
	}
	if t.exited() {
		return nil, fmt.Errorf("exec in task %q: task has exited", taskID)
	}
	spec, err := d.enterSpec(t, opts)
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	payload, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: encode spec: %w", taskID, err)
	}
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer specR.Close()
	defer specW.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer errR.Close()
	defer errW.Close()

	cmd := osexec.Command("/proc/self/exe")
	cmd.Args = []string{execinit.EnterArgv0}
	cmd.Env, cmd.Dir = []string{}, "/"
	cmd.ExtraFiles = []*os.File{specR, errW} // execinit.SpecFD, execinit.ErrFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	in := &proc.Interactive{
		Cmd: cmd, Opts: opts, TTYUID: spec.UID, TTYGID: spec.GID, Done: t.done,
		// The helper kills the command's process group on SIGTERM.
		Stop: func(p *os.Process) error { return p.Signal(syscall.SIGTERM) },
		Started: func(pid int) error {
			specR.Close()
			errW.Close()
			if err := t.cg.AddProc(pid); err != nil {
				return fmt.Errorf("exec in task %q: join the task's cgroup: %w", taskID, err)
			}
			_, werr := specW.Write(payload)
			specW.Close()
			_ = errR.SetReadDeadline(time.Now().Add(enterTimeout))
			msg, rerr := io.ReadAll(errR)
			switch {
			case len(msg) > 0:
				return fmt.Errorf("exec in task %q: %s", taskID, msg)
			case rerr != nil:
				return fmt.Errorf("exec in task %q: the helper did not start the command within %s: %w", taskID, enterTimeout, rerr)
			case werr != nil:
				return fmt.Errorf("exec in task %q: send spec: %w", taskID, werr)
			}
			return nil
		},
	}
	return in.Run(ctx)
}

// enterSpec is the helper's spec for a command in t: the task's process,
// user, capabilities and environment.
func (d *Driver) enterSpec(t *task, opts *drivers.ExecOptions) (*execinit.EnterSpec, error) {
	ps := d.pluginSettings()
	ts, err := parseTaskConfig(t.cfg.Config, ps)
	if err != nil {
		return nil, err
	}
	cred, err := lookupUser(t.cfg.User)
	if err != nil {
		return nil, err
	}
	if err := checkUserAllowed(cred, ps); err != nil {
		return nil, err
	}
	start, err := procStartTime(t.state.Pid)
	if err != nil {
		return nil, err
	}
	if t.state.StartTime != 0 && start != t.state.StartTime {
		return nil, fmt.Errorf("pid %d: %w", t.state.Pid, ErrProcessGone)
	}
	return &execinit.EnterSpec{
		Spec: execinit.Spec{
			UID:     cred.uid,
			GID:     cred.gid,
			Groups:  cred.groups,
			Caps:    uint64(ts.caps),
			Ambient: uint64(ts.ambient),
			Command: opts.Command[0],
			Args:    opts.Command[1:],
			Env:     taskEnv(t.cfg.Env),
			Dir:     "/",
		},
		Pid:       t.state.Pid,
		StartTime: start,
		Tty:       opts.Tty,
	}, nil
}

// ExecTask runs cmd inside the task and returns its output (the one-shot
// form of ExecTaskStreaming); a timeout of zero means no limit.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	return drivers.ExecBuffered(context.Background(), d, taskID, cmd, timeout)
}
