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
	"github.com/nomadlike/nomadlike/drivers/logging"
	"github.com/nomadlike/nomadlike/drivers/schema"
)

// pluginConfig is the plugin "hello-driver" { config { ... } } block.
type pluginConfig struct {
	Enabled bool `json:"enabled"`
}

// taskConfig is a task's config block.
type taskConfig struct {
	Message string        `json:"message" schema:"required"`
	Sleep   time.Duration `json:"sleep" schema:"default=0s"`
}

// taskSchema is the task config schema the driver publishes: the servers
// check every hello-driver task against it before placing the job.
var taskSchema = schema.MustOf(taskConfig{})

// TaskConfigSchema implements drivers.SchemaPublisher.
func (d *helloDriver) TaskConfigSchema() *schema.Schema { return taskSchema }

// helloDriver runs tasks inside the plugin process: a task writes one line
// and "runs" for a while. Such tasks cannot survive a plugin restart.
type helloDriver struct {
	logger hclog.Logger

	// events fans task events out to the client (drivers.EventEmitter).
	events drivers.EventBroadcaster

	mu      sync.Mutex
	enabled bool
	tasks   map[string]*task
}

// TaskEvents implements drivers.EventEmitter: the client shows these
// events with the task's own ("Driver" events in alloc status).
func (d *helloDriver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.events.Subscribe(ctx), nil
}

type task struct {
	cfg       *drivers.TaskConfig
	startedAt time.Time
	stop      chan struct{}
	done      chan struct{}
	result    *drivers.ExitResult
	stopOnce  sync.Once
}

func newDriver(logger hclog.Logger) *helloDriver {
	return &helloDriver{logger: logger, tasks: make(map[string]*task)}
}

func (d *helloDriver) Info() drivers.Info {
	return drivers.Info{Name: "hello-driver", Version: "0.1.0", Capabilities: drivers.Capabilities{FSIsolation: drivers.FSIsolationNone}}
}

func (d *helloDriver) SetConfig(cfg *drivers.PluginConfig) error {
	var c pluginConfig
	if err := schema.Decode(cfg.Config, "config", &c); err != nil {
		return err
	}
	d.mu.Lock()
	d.enabled = c.Enabled
	d.mu.Unlock()
	return nil
}

func (d *helloDriver) Fingerprint(context.Context) (*drivers.Fingerprint, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.enabled {
		return &drivers.Fingerprint{Health: drivers.HealthUndetected, HealthDescription: "disabled"}, nil
	}
	return &drivers.Fingerprint{Health: drivers.HealthHealthy, HealthDescription: "ready to greet"}, nil
}

func parseTaskConfig(raw json.RawMessage) (taskConfig, time.Duration, error) {
	var c taskConfig
	if err := schema.Decode(raw, "config", &c); err != nil {
		return c, 0, err
	}
	if c.Sleep < 0 {
		return c, 0, errors.New("config.sleep: must not be negative")
	}
	return c, c.Sleep, nil
}

func (d *helloDriver) ValidateTaskConfig(raw json.RawMessage) error {
	_, _, err := parseTaskConfig(raw)
	return err
}

func (d *helloDriver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	tc, sleep, err := parseTaskConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	out, err := logging.NewFileRotator(cfg.Logs.Dir, cfg.Name+".stdout", 1, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	_, err = fmt.Fprintf(out, "hello, %s\n", tc.Message)
	_ = out.Close()
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	t := &task{cfg: cfg, startedAt: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	go func() {
		timer := time.NewTimer(sleep)
		defer timer.Stop()
		select {
		case <-timer.C:
			t.result = &drivers.ExitResult{}
		case <-t.stop:
			t.result = &drivers.ExitResult{ExitCode: 130, Signal: 2}
		}
		close(t.done)
	}()
	d.events.Emit(&drivers.TaskEvent{TaskID: cfg.ID, AllocID: cfg.AllocID, TaskName: cfg.Name,
		Message: "Greeting written", Annotations: map[string]string{"sleep": sleep.String()}})
	d.logger.Info("greeted", "task_id", cfg.ID)
	return &drivers.TaskHandle{Version: 1, Config: cfg, State: drivers.TaskStateRunning}, nil
}

func (d *helloDriver) task(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

func (d *helloDriver) WaitTask(ctx context.Context, id string) (*drivers.ExitResult, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
		return t.result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *helloDriver) StopTask(id string, _ time.Duration, _ string) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	t.stopOnce.Do(func() { close(t.stop) })
	<-t.done
	return nil
}

func (d *helloDriver) DestroyTask(id string, force bool) error {
	t, err := d.task(id)
	if err != nil {
		return err
	}
	select {
	case <-t.done:
	default:
		if !force {
			return fmt.Errorf("task %q: still running", id)
		}
		_ = d.StopTask(id, 0, "")
	}
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
	return nil
}

func (d *helloDriver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.task(id)
	if err != nil {
		return nil, err
	}
	st := &drivers.TaskStatus{ID: id, Name: t.cfg.Name, State: drivers.TaskStateRunning, StartedAt: t.startedAt}
	select {
	case <-t.done:
		st.State, st.ExitResult = drivers.TaskStateExited, t.result
	default:
	}
	return st, nil
}

func (d *helloDriver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("handle: config: required")
	}
	if _, err := d.task(h.Config.ID); err == nil {
		return nil
	}
	return fmt.Errorf("task %q: hello tasks run inside the plugin and do not survive its restart", h.Config.ID)
}

func (d *helloDriver) TaskStats(_ context.Context, id string) (*drivers.TaskResourceUsage, error) {
	if _, err := d.task(id); err != nil {
		return nil, err
	}
	return &drivers.TaskResourceUsage{Timestamp: time.Now()}, nil
}
