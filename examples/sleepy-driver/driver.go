package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/schema"
)

const (
	driverName = "sleepy"
	// handleVersion is the layout of the DriverState this driver writes in
	// a TaskHandle; RecoverTask refuses a handle of another version.
	handleVersion = 1
)

// driverState is TaskHandle.DriverState: all a new plugin process needs to
// take a task over.
type driverState struct {
	StartedAt time.Time  `json:"started_at"`
	Config    taskConfig `json:"config"`
}

// sleepyDriver runs tasks as timers inside the plugin process.
type sleepyDriver struct {
	logger hclog.Logger

	// events fans the driver's task events out to the client
	// (drivers.EventEmitter): they show as "Driver" events in alloc status.
	events drivers.EventBroadcaster

	mu      sync.Mutex
	enabled bool
	tasks   map[string]*task
}

// TaskConfigSchema implements drivers.SchemaPublisher.
func (d *sleepyDriver) TaskConfigSchema() *schema.Schema { return taskSchema }

// TaskEvents implements drivers.EventEmitter.
func (d *sleepyDriver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.events.Subscribe(ctx), nil
}

func newDriver(logger hclog.Logger) *sleepyDriver {
	return &sleepyDriver{logger: logger, tasks: make(map[string]*task)}
}

func (d *sleepyDriver) Info() drivers.Info {
	return drivers.Info{Name: driverName, Version: "0.1.0",
		Capabilities: drivers.Capabilities{FSIsolation: drivers.FSIsolationNone}}
}

func (d *sleepyDriver) SetConfig(cfg *drivers.PluginConfig) error {
	var c pluginConfig
	if err := schema.Decode(cfg.Config, "config", &c); err != nil {
		return err
	}
	d.mu.Lock()
	d.enabled = c.Enabled
	d.mu.Unlock()
	return nil
}

func (d *sleepyDriver) Fingerprint(context.Context) (*drivers.Fingerprint, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.enabled {
		return &drivers.Fingerprint{Health: drivers.HealthUndetected, HealthDescription: "disabled: set enabled = true"}, nil
	}
	return &drivers.Fingerprint{Health: drivers.HealthHealthy, HealthDescription: "ready to sleep"}, nil
}

func (d *sleepyDriver) ValidateTaskConfig(raw json.RawMessage) error {
	_, err := parseTaskConfig(raw)
	return err
}

func (d *sleepyDriver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	tc, err := parseTaskConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	if err := writeLine(cfg, tc.Line); err != nil {
		return nil, err
	}
	st := driverState{StartedAt: time.Now(), Config: tc}
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	d.add(cfg, st)
	d.events.Emit(&drivers.TaskEvent{TaskID: cfg.ID, AllocID: cfg.AllocID, TaskName: cfg.Name,
		Message: fmt.Sprintf("Sleeping %v", tc.duration()), Annotations: map[string]string{"seconds": fmt.Sprint(tc.Seconds)}})
	d.logger.Info("task started", "task_id", cfg.ID, "seconds", tc.Seconds)
	return &drivers.TaskHandle{Version: handleVersion, Config: cfg, State: drivers.TaskStateRunning, DriverState: raw}, nil
}

// add registers a task and starts its timer.
func (d *sleepyDriver) add(cfg *drivers.TaskConfig, st driverState) *task {
	t := newTask(cfg, st)
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	return t
}

func (d *sleepyDriver) task(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

func (d *sleepyDriver) WaitTask(ctx context.Context, id string) (*drivers.ExitResult, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.doneCh:
		return t.result(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StopTask ends the task at once: a timer has nothing to clean up, so the
// timeout is not needed. The task reports the signal as what ended it,
// as a process killed by it would.
func (d *sleepyDriver) StopTask(id string, _ time.Duration, signal string) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	if signal == "" {
		signal = t.cfg.KillSignal
	}
	if signal == "" {
		signal = "SIGINT"
	}
	num, ok := signalNumbers[signal]
	if !ok {
		return fmt.Errorf("signal %q: unknown", signal)
	}
	t.stop(num)
	<-t.doneCh
	return nil
}

func (d *sleepyDriver) DestroyTask(id string, force bool) error {
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
		t.stop(signalNumbers["SIGKILL"])
		<-t.doneCh
	}
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
	return nil
}

func (d *sleepyDriver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	return t.status(), nil
}

// RecoverTask takes over a task from its handle: the timer is started
// again for what is left of the sleep (a task whose time has passed ends
// at once, with its exit code).
func (d *sleepyDriver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("handle: config: required")
	}
	if _, err := d.task(h.Config.ID); err == nil {
		return nil
	}
	if h.Version != handleVersion {
		return fmt.Errorf("handle version %d: this driver reads version %d", h.Version, handleVersion)
	}
	var st driverState
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.StartedAt.IsZero() {
		return fmt.Errorf("handle: driver state %q: not a sleepy task's (%v)", h.DriverState, err)
	}
	d.add(h.Config, st)
	d.logger.Info("task recovered", "task_id", h.Config.ID)
	return nil
}

func (d *sleepyDriver) TaskStats(_ context.Context, id string) (*drivers.TaskResourceUsage, error) {
	if _, err := d.task(id); err != nil {
		return nil, err
	}
	return &drivers.TaskResourceUsage{Timestamp: time.Now()}, nil
}

// signalNumbers are the signals StopTask accepts (Linux numbers).
var signalNumbers = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGKILL": 9,
	"SIGUSR1": 10, "SIGUSR2": 12, "SIGTERM": 15,
}
