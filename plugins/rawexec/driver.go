package rawexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/logging"
	"github.com/nomadlike/nomadlike/drivers/proc"
)

// Name is the driver's name in job files.
const Name = "raw_exec"

// Version is the driver's version.
const Version = "0.1.0"

// handleVersion is the TaskHandle.Version of this driver's handles.
const handleVersion = 1

// logDrainWait bounds how long WaitTask waits, after the task exited, for
// its output to be copied (a background child may hold the pipes longer).
const logDrainWait = 2 * time.Second

// disabledMsg is the health description when the driver is not enabled.
const disabledMsg = `disabled, set plugin "raw_exec" { config { enabled = true } }`

// Driver is the raw_exec driver. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger

	mu       sync.RWMutex
	config   PluginConfig
	tasks    map[string]*task
	starting map[string]struct{} // IDs whose StartTask is under way

	// startSlots bounds the starts under way at once (a slot is a send).
	startSlots chan struct{}
}

var (
	_ drivers.Driver   = (*Driver)(nil)
	_ drivers.Signaler = (*Driver)(nil)
	_ drivers.Execer   = (*Driver)(nil)
)

// task is one running (or exited, not yet destroyed) task.
type task struct {
	cfg       *drivers.TaskConfig
	proc      *proc.Process
	logs      *logging.TaskLogs
	startedAt time.Time
}

// driverState is TaskHandle.DriverState: what recovery needs.
type driverState struct {
	Pid       int       `json:"Pid"`
	StartTime uint64    `json:"StartTime"`
	StartedAt time.Time `json:"StartedAt"`
}

// New returns a raw_exec driver, disabled until SetConfig enables it.
func New(logger hclog.Logger) *Driver {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Driver{logger: logger.Named(Name), tasks: make(map[string]*task), starting: make(map[string]struct{}),
		startSlots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
}

// Info describes raw_exec.
func (d *Driver) Info() drivers.Info {
	return drivers.Info{
		Name:    Name,
		Version: Version,
		Capabilities: drivers.Capabilities{
			SendSignals: true,
			Exec:        true,
			FSIsolation: drivers.FSIsolationNone,
			// Host volumes (issue #17).
			MountConfigs: drivers.MountConfigSupportHostPath,
		},
	}
}

// SetConfig reads the plugin block; errors name the field.
func (d *Driver) SetConfig(cfg *drivers.PluginConfig) error {
	var raw json.RawMessage
	if cfg != nil {
		raw = cfg.Config
	}
	c, err := parsePluginConfig(raw)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.config = c
	d.mu.Unlock()
	return nil
}

func (d *Driver) enabled() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.config.Enabled
}

// Fingerprint is healthy when enabled, undetected otherwise.
func (d *Driver) Fingerprint(context.Context) (*drivers.Fingerprint, error) {
	if !d.enabled() {
		return &drivers.Fingerprint{Health: drivers.HealthUndetected, HealthDescription: disabledMsg}, nil
	}
	return &drivers.Fingerprint{
		Health:            drivers.HealthHealthy,
		HealthDescription: "healthy",
		Attributes:        map[string]string{"version": Version},
	}, nil
}

// ValidateTaskConfig checks a task's config block.
func (d *Driver) ValidateTaskConfig(config json.RawMessage) error {
	_, err := parseTaskConfig(config)
	return err
}

// StartTask runs the task's command in its own process group, with its
// output going to the task's rotated log files.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if !d.enabled() {
		return nil, errors.New("raw_exec is " + disabledMsg)
	}
	if cfg == nil || cfg.ID == "" {
		return nil, errors.New("task config: ID: required")
	}
	tc, err := parseTaskConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	// The lock guards the task table only: the ID is reserved under it,
	// and the FIFOs, log files and fork/exec run outside it, so WaitTask,
	// InspectTask and the rest are not queued behind a thousand starts (a
	// count = 1000 group reported no task complete until all had
	// started). Starts themselves are CPU work: startSlots of them at once.
	d.mu.Lock()
	_, running := d.tasks[cfg.ID]
	_, starting := d.starting[cfg.ID]
	if running || starting {
		d.mu.Unlock()
		return nil, fmt.Errorf("task %q: already started", cfg.ID)
	}
	d.starting[cfg.ID] = struct{}{}
	d.mu.Unlock()

	d.startSlots <- struct{}{}
	t, err := d.start(cfg, tc)
	<-d.startSlots
	d.mu.Lock()
	delete(d.starting, cfg.ID)
	if err == nil {
		d.tasks[cfg.ID] = t
	}
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	d.logger.Debug("started task", "task_id", cfg.ID, "pid", t.proc.Pid(), "command", tc.Command)

	state, err := json.Marshal(driverState{Pid: t.proc.Pid(), StartTime: t.proc.StartTime(), StartedAt: t.startedAt})
	if err != nil {
		return nil, fmt.Errorf("task %q: encode driver state: %w", cfg.ID, err)
	}
	return &drivers.TaskHandle{Version: handleVersion, Config: cfg, State: drivers.TaskStateRunning, DriverState: state}, nil
}

// start opens the task's logs and starts its process.
func (d *Driver) start(cfg *drivers.TaskConfig, tc TaskConfig) (*task, error) {
	cmd, err := command(cfg, tc.Command, tc.Args)
	if err != nil {
		return nil, err
	}
	logs, err := logging.Open(cfg.Logs, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", cfg.ID, err)
	}
	cmd.Stdout, cmd.Stderr = logs.Stdout, logs.Stderr
	p, err := proc.Start(cmd)
	logs.CloseChildEnds()
	if err != nil {
		_ = logs.Close()
		return nil, fmt.Errorf("task %q: start %s: %w", cfg.ID, tc.Command, err)
	}
	return &task{cfg: cfg, proc: p, logs: logs, startedAt: time.Now()}, nil
}

// command builds the task's exec.Cmd: env, working directory, user.
func command(cfg *drivers.TaskConfig, name string, args []string) (*exec.Cmd, error) {
	path, err := resolveCommand(name, cfg.TaskDir.Dir, cfg.Env["PATH"])
	if err != nil {
		return nil, fmt.Errorf("config.command: %w", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Args[0] = name
	cmd.Dir = cfg.TaskDir.Dir
	cmd.Env = envList(withVolumeEnv(cfg.Env, cfg.Mounts)) // host volumes (volumes.go)
	if cfg.User != "" {
		cred, err := credential(cfg.User)
		if err != nil {
			return nil, fmt.Errorf("user: %w", err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd, nil
}

// resolveCommand finds the program: a path with a slash is taken as is
// (relative to the task dir), a bare name is looked up in PATH (the task's,
// else the driver's).
func resolveCommand(name, taskDir, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) && taskDir != "" {
			name = filepath.Join(taskDir, name)
		}
		return name, nil
	}
	if pathEnv == "" {
		pathEnv = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		if !filepath.IsAbs(dir) && taskDir != "" {
			dir = filepath.Join(taskDir, dir)
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found in PATH", name)
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid %q: %w", u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid %q: %w", u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (d *Driver) task(id string) (*task, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// WaitTask blocks until the task exits (and its output is copied, for up to
// logDrainWait) or ctx is done.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (*drivers.ExitResult, error) {
	t, err := d.task(taskID)
	if err != nil {
		return nil, err
	}
	res, err := t.proc.Wait(ctx)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(logDrainWait)
	defer timer.Stop()
	select {
	case <-t.logs.Done():
	case <-timer.C:
	case <-ctx.Done():
	}
	return res, nil
}

// StopTask sends signal (the task's kill_signal, else SIGINT) and SIGKILLs
// the task's process group after timeout.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	t, err := d.task(taskID)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = t.cfg.KillSignal
	}
	sig, err := proc.ParseSignal(signal, syscall.SIGINT)
	if err != nil {
		return fmt.Errorf("kill_signal: %w", err)
	}
	if err := t.proc.Stop(sig, timeout); err != nil {
		return fmt.Errorf("stop task %q: %w", taskID, err)
	}
	return nil
}

// DestroyTask kills what is left of the task's process group and stops
// copying its logs. A running task needs force.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	t, err := d.task(taskID)
	if err != nil {
		return err
	}
	if t.proc.Result() == nil && !force {
		return fmt.Errorf("task %q: still running; stop it first or destroy with force", taskID)
	}
	if err := t.proc.Kill(); err != nil {
		return fmt.Errorf("destroy task %q: %w", taskID, err)
	}
	if err := t.logs.Close(); err != nil {
		d.logger.Warn("closing task logs", "task_id", taskID, "error", err)
	}
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	return nil
}

// InspectTask reports the task's state; DriverAttributes has its "pid".
func (d *Driver) InspectTask(taskID string) (*drivers.TaskStatus, error) {
	t, err := d.task(taskID)
	if err != nil {
		return nil, err
	}
	st := &drivers.TaskStatus{
		ID:               taskID,
		Name:             t.cfg.Name,
		State:            drivers.TaskStateRunning,
		StartedAt:        t.startedAt,
		DriverAttributes: map[string]string{"pid": strconv.Itoa(t.proc.Pid())},
	}
	if res := t.proc.Result(); res != nil {
		st.State = drivers.TaskStateExited
		st.ExitResult = res
		st.CompletedAt = t.proc.ExitedAt()
	}
	return st, nil
}

// RecoverTask finds the task's process again after a driver restart and
// resumes copying its output.
func (d *Driver) RecoverTask(handle *drivers.TaskHandle) error {
	if handle == nil || handle.Config == nil || handle.Config.ID == "" {
		return errors.New("recover task: handle: config: required")
	}
	id := handle.Config.ID
	if handle.Version != handleVersion {
		return fmt.Errorf("recover task %q: handle version %d, want %d", id, handle.Version, handleVersion)
	}
	var ds driverState
	if err := json.Unmarshal(handle.DriverState, &ds); err != nil {
		return fmt.Errorf("recover task %q: driver state: %w", id, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[id]; ok {
		return nil
	}
	p, err := proc.Recover(ds.Pid, ds.StartTime)
	if err != nil {
		return fmt.Errorf("recover task %q: %w", id, err)
	}
	logs, err := logging.Reopen(handle.Config.Logs, handle.Config.Name)
	if err != nil {
		// The task cannot be managed without its logs: leave nothing of
		// it running (the agent gives it up).
		if kerr := p.Kill(); kerr != nil {
			d.logger.Warn("cannot kill the unrecoverable task", "task_id", id, "error", kerr)
		}
		return fmt.Errorf("recover task %q: %w", id, err)
	}
	d.tasks[id] = &task{cfg: handle.Config, proc: p, logs: logs, startedAt: ds.StartedAt}
	d.logger.Debug("recovered task", "task_id", id, "pid", ds.Pid)
	return nil
}

// TaskStats samples the task's process group.
func (d *Driver) TaskStats(_ context.Context, taskID string) (*drivers.TaskResourceUsage, error) {
	t, err := d.task(taskID)
	if err != nil {
		return nil, err
	}
	return t.proc.Stats()
}

// SignalTask sends signal to the task's main process.
func (d *Driver) SignalTask(taskID string, signal string) error {
	t, err := d.task(taskID)
	if err != nil {
		return err
	}
	if signal == "" {
		return errors.New("signal: required")
	}
	sig, err := proc.ParseSignal(signal, 0)
	if err != nil {
		return err
	}
	return t.proc.Signal(sig)
}
