package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// FakeTaskConfig is the fake driver's task config: a script of what the
// "process" does.
type FakeTaskConfig struct {
	// RunFor is how long the task runs before exiting ("" exits at once).
	RunFor string `json:"run_for"`
	// ExitCode is the exit code; ExitCodes, when set, gives one per start
	// of the same task (by alloc and name), the last one repeating.
	ExitCode  int   `json:"exit_code"`
	ExitCodes []int `json:"exit_codes"`
	// Stdout and Stderr are written to the task's log files at start.
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// ReadFile is a path relative to the task dir copied to stdout at start;
	// a missing file makes the task exit 3.
	ReadFile string `json:"read_file"`
	// StartError makes StartTask fail with this message.
	StartError string `json:"start_error"`
	// Args is accepted and recorded, to test interpolation.
	Args []string `json:"args"`
	// Events are task events (drivers.EventEmitter) emitted during StartTask.
	Events []string `json:"events"`
	// NetworkIP, when set, is reported as the network the driver made for
	// the task (TaskHandle.Network), with the port "http" mapped to 8080.
	NetworkIP string `json:"network_ip"`
}

// FakeHost is the machine the fake driver's tasks run on. It is shared by
// every FakeDriver created for it, so tasks survive a "plugin restart".
type FakeHost struct {
	mu     sync.Mutex
	tasks  map[string]*fakeTask
	starts map[string]int // by allocID/name
	events []string
	health string
	// failRecover makes RecoverTask fail (the task stays on the host).
	failRecover bool
	// driverEvents carries the task events of every FakeDriver of the host.
	driverEvents drivers.EventBroadcaster
}

// FailRecover makes RecoverTask fail (true) or work again (false), like a
// handle a new plugin cannot use; the task keeps running until destroyed.
func (h *FakeHost) FailRecover(fail bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failRecover = fail
}

type fakeTask struct {
	cfg     *drivers.TaskConfig
	script  FakeTaskConfig
	started time.Time
	doneCh  chan struct{}
	result  *drivers.ExitResult
	stopped bool
	signals []string
	// destroyed tasks are forgotten by the driver but kept for LastConfig.
	destroyed bool
}

// NewFakeHost returns an empty host with a healthy driver.
func NewFakeHost() *FakeHost {
	return &FakeHost{tasks: map[string]*fakeTask{}, starts: map[string]int{}, health: drivers.HealthHealthy}
}

// SetHealth changes what Fingerprint reports.
func (h *FakeHost) SetHealth(health string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.health = health
}

// Starts returns how many times the task was started.
func (h *FakeHost) Starts(allocID, task string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.starts[allocID+"/"+task]
}

// Events returns a log of "start NAME", "recover NAME", "stop NAME SIGNAL", "exit NAME CODE", "destroy NAME".
func (h *FakeHost) Events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

// LastConfig returns the TaskConfig of the task's latest start.
func (h *FakeHost) LastConfig(allocID, task string) *drivers.TaskConfig {
	h.mu.Lock()
	defer h.mu.Unlock()
	var last *fakeTask
	for _, t := range h.tasks {
		if t.cfg.AllocID == allocID && t.cfg.Name == task && (last == nil || t.started.After(last.started)) {
			last = t
		}
	}
	if last == nil {
		return nil
	}
	return last.cfg
}

// Held returns the IDs of tasks the driver still holds: started and not
// destroyed, whether running or exited.
func (h *FakeHost) Held() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for id, t := range h.tasks {
		if !t.destroyed {
			out = append(out, id)
		}
	}
	return out
}

// Running returns the IDs of tasks that have not exited.
func (h *FakeHost) Running() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for id, t := range h.tasks {
		if t.result == nil {
			out = append(out, id)
		}
	}
	return out
}

// ExitTask makes a running task exit now with code, as if it had finished
// on its own (while the agent is down, for example).
func (h *FakeHost) ExitTask(taskID string, code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.tasks[taskID]; t != nil {
		h.finishLocked(t, &drivers.ExitResult{ExitCode: code})
	}
}

// StopAll ends every running task (test cleanup).
func (h *FakeHost) StopAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.tasks {
		h.finishLocked(t, &drivers.ExitResult{Signal: 9})
	}
}

func (h *FakeHost) finishLocked(t *fakeTask, r *drivers.ExitResult) {
	if t.result != nil {
		return
	}
	t.result = r
	h.events = append(h.events, fmt.Sprintf("exit %s %d", t.cfg.Name, r.ExitCode))
	close(t.doneCh)
}

// FakeDriver is a drivers.Driver (with Signaler and Execer) whose tasks are
// scripted by FakeTaskConfig.
type FakeDriver struct {
	Host *FakeHost
	Name string
	// Isolation is the FSIsolation the driver reports (none by default).
	Isolation string
	// NetModes are the NetIsolationModes it reports (bridge networking).
	NetModes []string

	mu     sync.Mutex
	config *drivers.PluginConfig
	// deadCh is closed when the fake plugin serving this driver exits; nil
	// for a driver used directly.
	deadCh <-chan struct{}
}

// gone reports whether the plugin serving d has exited.
func (d *FakeDriver) gone() bool {
	select {
	case <-d.deadCh:
		return true
	default:
		return false
	}
}

// NewFakeDriver returns a driver named name running tasks on host.
func NewFakeDriver(host *FakeHost, name string) *FakeDriver {
	return &FakeDriver{Host: host, Name: name, Isolation: drivers.FSIsolationNone}
}

var (
	_ drivers.Driver   = (*FakeDriver)(nil)
	_ drivers.Signaler = (*FakeDriver)(nil)
	_ drivers.Execer   = (*FakeDriver)(nil)
)

// Info implements drivers.Driver.
func (d *FakeDriver) Info() drivers.Info {
	return drivers.Info{Name: d.Name, Version: "0.0.1", Capabilities: drivers.Capabilities{SendSignals: true, Exec: true, FSIsolation: d.Isolation, NetIsolationModes: d.NetModes}}
}

// SetConfig implements drivers.Driver; the config must be a JSON object.
func (d *FakeDriver) SetConfig(cfg *drivers.PluginConfig) error {
	var m map[string]any
	if err := json.Unmarshal(cfg.Config, &m); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.config = cfg
	return nil
}

// Fingerprint implements drivers.Driver.
func (d *FakeDriver) Fingerprint(context.Context) (*drivers.Fingerprint, error) {
	d.Host.mu.Lock()
	health := d.Host.health
	d.Host.mu.Unlock()
	return &drivers.Fingerprint{Health: health, HealthDescription: "fake " + health, Attributes: map[string]string{"version": "0.0.1"}}, nil
}

func decodeScript(raw json.RawMessage) (FakeTaskConfig, error) {
	var s FakeTaskConfig
	if len(raw) == 0 {
		return s, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return s, fmt.Errorf("config.%s: unknown field", strings.Trim(f, `"`))
		}
		return s, fmt.Errorf("config: %s", msg)
	}
	if s.RunFor != "" {
		if _, err := time.ParseDuration(s.RunFor); err != nil {
			return s, fmt.Errorf("config.run_for: %v", err)
		}
	}
	return s, nil
}

// ValidateTaskConfig implements drivers.Driver.
func (d *FakeDriver) ValidateTaskConfig(raw json.RawMessage) error {
	_, err := decodeScript(raw)
	return err
}

// StartTask implements drivers.Driver.
func (d *FakeDriver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	script, err := decodeScript(cfg.Config)
	if err != nil {
		return nil, err
	}
	if script.StartError != "" {
		return nil, errors.New(script.StartError)
	}
	h := d.Host
	h.mu.Lock()
	key := cfg.AllocID + "/" + cfg.Name
	n := h.starts[key]
	h.starts[key] = n + 1
	code := script.ExitCode
	if len(script.ExitCodes) > 0 {
		code = script.ExitCodes[min(n, len(script.ExitCodes)-1)]
	}
	t := &fakeTask{cfg: cfg, script: script, started: time.Now(), doneCh: make(chan struct{})}
	h.tasks[cfg.ID] = t
	h.events = append(h.events, "start "+cfg.Name)
	h.mu.Unlock()

	stdout := script.Stdout
	if script.ReadFile != "" {
		b, err := os.ReadFile(filepath.Join(cfg.TaskDir.Dir, script.ReadFile))
		if err != nil {
			code = 3
		}
		stdout += string(b)
	}
	if dir := cfg.Logs.Dir; dir != "" && !cfg.Logs.Disabled {
		appendFile(filepath.Join(dir, cfg.Name+".stdout.0"), stdout)
		appendFile(filepath.Join(dir, cfg.Name+".stderr.0"), script.Stderr)
	}
	var runFor time.Duration
	if script.RunFor != "" {
		runFor, _ = time.ParseDuration(script.RunFor)
	}
	go func() {
		timer := time.NewTimer(runFor)
		defer timer.Stop()
		select {
		case <-timer.C:
			h.mu.Lock()
			h.finishLocked(t, &drivers.ExitResult{ExitCode: code})
			h.mu.Unlock()
		case <-t.doneCh:
		}
	}()
	for _, msg := range script.Events {
		h.driverEvents.Emit(&drivers.TaskEvent{TaskID: cfg.ID, AllocID: cfg.AllocID, TaskName: cfg.Name, Message: msg, Annotations: map[string]string{"fake": "yes"}})
	}
	state, _ := json.Marshal(map[string]string{"id": cfg.ID})
	handle := &drivers.TaskHandle{Version: 1, Config: cfg, State: drivers.TaskStateRunning, DriverState: state}
	if script.NetworkIP != "" {
		handle.Network = &drivers.DriverNetwork{IP: script.NetworkIP, PortMap: map[string]int{"http": 8080}}
	}
	return handle, nil
}

// TaskEvents implements drivers.EventEmitter: the events of StartTask's
// script (FakeTaskConfig.Events).
func (d *FakeDriver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.Host.driverEvents.Subscribe(ctx), nil
}

func appendFile(path, s string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	f.WriteString(s)
	f.Close()
}

func (d *FakeDriver) task(id string) (*fakeTask, error) {
	if d.gone() {
		return nil, errPluginGone
	}
	d.Host.mu.Lock()
	defer d.Host.mu.Unlock()
	t := d.Host.tasks[id]
	if t == nil || t.destroyed {
		return nil, fmt.Errorf("task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// WaitTask implements drivers.Driver.
func (d *FakeDriver) WaitTask(ctx context.Context, id string) (*drivers.ExitResult, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.doneCh:
		d.Host.mu.Lock()
		defer d.Host.mu.Unlock()
		r := *t.result
		return &r, nil
	case <-d.deadCh:
		return nil, errPluginGone
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StopTask implements drivers.Driver: the fake exits at once on any signal.
func (d *FakeDriver) StopTask(id string, timeout time.Duration, signal string) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = "SIGINT"
	}
	h := d.Host
	h.mu.Lock()
	defer h.mu.Unlock()
	t.stopped = true
	h.events = append(h.events, fmt.Sprintf("stop %s %s %s", t.cfg.Name, signal, timeout))
	h.finishLocked(t, &drivers.ExitResult{ExitCode: 130, Signal: 2})
	return nil
}

// DestroyTask implements drivers.Driver.
func (d *FakeDriver) DestroyTask(id string, force bool) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	h := d.Host
	h.mu.Lock()
	defer h.mu.Unlock()
	if t.result == nil {
		if !force {
			return fmt.Errorf("task %q is running", id)
		}
		h.finishLocked(t, &drivers.ExitResult{Signal: 9})
	}
	t.destroyed = true
	h.events = append(h.events, "destroy "+t.cfg.Name)
	return nil
}

// InspectTask implements drivers.Driver.
func (d *FakeDriver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	d.Host.mu.Lock()
	defer d.Host.mu.Unlock()
	st := &drivers.TaskStatus{ID: id, Name: t.cfg.Name, State: drivers.TaskStateRunning, StartedAt: t.started}
	if t.result != nil {
		st.State = drivers.TaskStateExited
		st.ExitResult = t.result
	}
	return st, nil
}

// RecoverTask implements drivers.Driver.
func (d *FakeDriver) RecoverTask(handle *drivers.TaskHandle) error {
	if handle == nil || handle.Config == nil {
		return errors.New("recover: handle without config")
	}
	if _, err := d.task(handle.Config.ID); err != nil {
		return err
	}
	d.Host.mu.Lock()
	if d.Host.failRecover {
		d.Host.mu.Unlock()
		return errors.New("recover: handle state unusable")
	}
	d.Host.events = append(d.Host.events, "recover "+handle.Config.Name)
	d.Host.mu.Unlock()
	return nil
}

// TaskStats implements drivers.Driver.
func (d *FakeDriver) TaskStats(_ context.Context, id string) (*drivers.TaskResourceUsage, error) {
	if _, err := d.task(id); err != nil {
		return nil, err
	}
	return &drivers.TaskResourceUsage{Timestamp: time.Now(), CPUPercent: 1.5, MemoryRSS: 1 << 20, Pids: 1}, nil
}

// SignalTask implements drivers.Signaler.
func (d *FakeDriver) SignalTask(id, signal string) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	d.Host.mu.Lock()
	defer d.Host.mu.Unlock()
	t.signals = append(t.signals, signal)
	d.Host.events = append(d.Host.events, "signal "+t.cfg.Name+" "+signal)
	return nil
}

// ExecTask implements drivers.Execer: it echoes the command.
func (d *FakeDriver) ExecTask(id string, cmd []string, _ time.Duration) (*drivers.ExecResult, error) {
	if _, err := d.task(id); err != nil {
		return nil, err
	}
	return &drivers.ExecResult{ExitCode: 0, Stdout: []byte(strings.Join(cmd, " ") + "\n")}, nil
}

var _ drivers.ExecStreamer = (*FakeDriver)(nil)

// ExecTaskStreaming implements drivers.ExecStreamer: it copies stdin to
// stdout, then writes the command to stderr and exits with code 3; it
// ends early when ctx does.
func (d *FakeDriver) ExecTaskStreaming(ctx context.Context, id string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	if _, err := d.task(id); err != nil {
		return nil, err
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		if opts.Stdin != nil {
			buf := make([]byte, 32<<10)
			for {
				n, err := opts.Stdin.Read(buf)
				if n > 0 {
					_, _ = opts.Stdout.Write(buf[:n])
				}
				if err != nil {
					return
				}
			}
		}
	}()
	select {
	case <-copied:
	case <-ctx.Done():
		return &drivers.ExitResult{ExitCode: 137, Signal: 9}, nil
	}
	if opts.Stderr != nil {
		_, _ = opts.Stderr.Write([]byte(strings.Join(opts.Command, " ")))
	}
	return &drivers.ExitResult{ExitCode: 3}, nil
}
