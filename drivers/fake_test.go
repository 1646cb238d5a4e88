package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
)

// fakeDriver is a scripted in-memory driver served from this test binary as a
// plugin (see TestMain). Tasks "run" until stopped; the driver counts what it
// saw so tests can observe the plugin side through InspectTask attributes.
type fakeDriver struct {
	logger        hclog.Logger
	mu            sync.Mutex
	tasks         map[string]*fakeTask
	waitCancelled int
	config        map[string]any
	events        EventBroadcaster
}

type fakeTask struct {
	cfg     *TaskConfig
	doneCh  chan struct{}
	result  *ExitResult
	signals []string
}

type fakeTaskConfig struct {
	Command string `json:"command"`
}

func newFakeDriver(logger hclog.Logger) *fakeDriver {
	return &fakeDriver{logger: logger, tasks: make(map[string]*fakeTask)}
}

func (d *fakeDriver) Info() Info {
	return Info{Name: "fake", Version: "1.0.0", Capabilities: Capabilities{SendSignals: true, FSIsolation: FSIsolationNone}}
}

func (d *fakeDriver) SetConfig(cfg *PluginConfig) error {
	var m map[string]any
	if err := json.Unmarshal(cfg.Config, &m); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if v, ok := m["enabled"]; ok {
		if _, ok := v.(bool); !ok {
			return errors.New("config.enabled: must be a bool")
		}
	}
	d.mu.Lock()
	d.config = m
	d.mu.Unlock()
	return nil
}

func (d *fakeDriver) Fingerprint(context.Context) (*Fingerprint, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	enabled, _ := d.config["enabled"].(bool)
	if !enabled {
		return &Fingerprint{Health: HealthUndetected, HealthDescription: "disabled"}, nil
	}
	return &Fingerprint{Health: HealthHealthy, HealthDescription: "ok", Attributes: map[string]string{"version": "1.0.0"}}, nil
}

func (d *fakeDriver) ValidateTaskConfig(config json.RawMessage) error {
	var c fakeTaskConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if c.Command == "" {
		return errors.New("config.command: required")
	}
	return nil
}

func (d *fakeDriver) StartTask(cfg *TaskConfig) (*TaskHandle, error) {
	if err := d.ValidateTaskConfig(cfg.Config); err != nil {
		return nil, err
	}
	d.logger.Debug("starting task", "task_id", cfg.ID)
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[cfg.ID]; ok {
		return nil, fmt.Errorf("task %q: already started", cfg.ID)
	}
	d.tasks[cfg.ID] = &fakeTask{cfg: cfg, doneCh: make(chan struct{})}
	d.events.Emit(&TaskEvent{TaskID: cfg.ID, AllocID: cfg.AllocID, TaskName: cfg.Name, Message: "Preparing fake task", Annotations: map[string]string{"step": "1"}})
	return &TaskHandle{Version: 1, Config: cfg, State: TaskStateRunning, DriverState: json.RawMessage(`{"fake":true}`),
		Network: &DriverNetwork{IP: "10.0.0.2", PortMap: map[string]int{"http": 8080}}}, nil
}

func (d *fakeDriver) task(id string) (*fakeTask, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, ErrTaskNotFound)
	}
	return t, nil
}

func (d *fakeDriver) WaitTask(ctx context.Context, id string) (*ExitResult, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.doneCh:
		return t.result, nil
	case <-ctx.Done():
		d.mu.Lock()
		d.waitCancelled++
		d.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (d *fakeDriver) StopTask(id string, _ time.Duration, signal string) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-t.doneCh:
	default:
		t.result = &ExitResult{ExitCode: 143, Err: "stopped with " + signal}
		close(t.doneCh)
	}
	return nil
}

func (d *fakeDriver) DestroyTask(id string, force bool) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	select {
	case <-t.doneCh:
	default:
		if !force {
			return fmt.Errorf("task %q: still running", id)
		}
		_ = d.StopTask(id, 0, "SIGKILL")
	}
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
	return nil
}

func (d *fakeDriver) InspectTask(id string) (*TaskStatus, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	st := &TaskStatus{ID: id, Name: t.cfg.Name, State: TaskStateRunning, DriverAttributes: map[string]string{
		"wait_cancelled": strconv.Itoa(d.waitCancelled),
		"signals":        fmt.Sprint(t.signals),
	}}
	select {
	case <-t.doneCh:
		st.State = TaskStateExited
		st.ExitResult = t.result
	default:
	}
	return st, nil
}

func (d *fakeDriver) RecoverTask(h *TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("handle: config: required")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[h.Config.ID]; !ok {
		d.tasks[h.Config.ID] = &fakeTask{cfg: h.Config, doneCh: make(chan struct{})}
	}
	return nil
}

func (d *fakeDriver) TaskStats(_ context.Context, id string) (*TaskResourceUsage, error) {
	if _, err := d.task(id); err != nil {
		return nil, err
	}
	return &TaskResourceUsage{Timestamp: time.Unix(1700000000, 0).UTC(), MemoryRSS: 4096, Pids: 1}, nil
}

func (d *fakeDriver) SignalTask(id string, signal string) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	t.signals = append(t.signals, signal)
	d.mu.Unlock()
	return nil
}
