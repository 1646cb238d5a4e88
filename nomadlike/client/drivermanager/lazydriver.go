package drivermanager

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// The drivers.Driver methods of lazyDriver: each call enters a generation
// (acquire), calls its plugin and leaves; StartTask, RecoverTask and
// DestroyTask keep the generation's task set.

// onPlugin calls f with the current plugin's driver as I, holding the
// plugin for the call (an idle stop waits for it); a driver that is not an
// I gets drivers.ErrNotSupported.
func onPlugin[I, R any](d *lazyDriver, f func(I) (R, error)) (R, error) {
	var zero R
	g, err := d.acquire()
	if err != nil {
		return zero, err
	}
	defer g.leave()
	i, ok := g.plugin.Driver().(I)
	if !ok {
		return zero, drivers.ErrNotSupported
	}
	return f(i)
}

// onPluginErr is onPlugin for calls that return only an error.
func onPluginErr[I any](d *lazyDriver, f func(I) error) error {
	_, err := onPlugin(d, func(i I) (struct{}, error) { return struct{}{}, f(i) })
	return err
}

// Info returns the plugin's Info (asked once per plugin process).
func (d *lazyDriver) Info() drivers.Info {
	g, err := d.acquire()
	if err != nil {
		return drivers.Info{Name: d.inst.spec.Name}
	}
	defer g.leave()
	return g.plugin.Driver().Info()
}

func (d *lazyDriver) SetConfig(cfg *drivers.PluginConfig) error {
	return onPluginErr(d, func(p drivers.Driver) error { return p.SetConfig(cfg) })
}

func (d *lazyDriver) Fingerprint(ctx context.Context) (*drivers.Fingerprint, error) {
	return onPlugin(d, func(p drivers.Driver) (*drivers.Fingerprint, error) { return p.Fingerprint(ctx) })
}

func (d *lazyDriver) ValidateTaskConfig(config json.RawMessage) error {
	return onPluginErr(d, func(p drivers.Driver) error { return p.ValidateTaskConfig(config) })
}

func (d *lazyDriver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	g, err := d.acquire()
	if err != nil {
		return nil, err
	}
	defer g.leave()
	h, err := g.plugin.Driver().StartTask(cfg)
	if err == nil {
		g.taskAdded(cfg.ID)
	}
	return h, err
}

func (d *lazyDriver) WaitTask(ctx context.Context, taskID string) (*drivers.ExitResult, error) {
	return onPlugin(d, func(p drivers.Driver) (*drivers.ExitResult, error) { return p.WaitTask(ctx, taskID) })
}

func (d *lazyDriver) StopTask(taskID string, timeout time.Duration, signal string) error {
	return onPluginErr(d, func(p drivers.Driver) error { return p.StopTask(taskID, timeout, signal) })
}

func (d *lazyDriver) DestroyTask(taskID string, force bool) error {
	g, err := d.acquire()
	if err != nil {
		return err
	}
	defer g.leave()
	err = g.plugin.Driver().DestroyTask(taskID, force)
	if err == nil || errors.Is(err, drivers.ErrTaskNotFound) {
		g.taskGone(taskID)
	}
	return err
}

func (d *lazyDriver) InspectTask(taskID string) (*drivers.TaskStatus, error) {
	return onPlugin(d, func(p drivers.Driver) (*drivers.TaskStatus, error) { return p.InspectTask(taskID) })
}

func (d *lazyDriver) RecoverTask(h *drivers.TaskHandle) error {
	g, err := d.acquire()
	if err != nil {
		return err
	}
	defer g.leave()
	err = g.plugin.Driver().RecoverTask(h)
	if err == nil && h != nil && h.Config != nil {
		g.taskAdded(h.Config.ID)
	}
	return err
}

func (d *lazyDriver) TaskStats(ctx context.Context, taskID string) (*drivers.TaskResourceUsage, error) {
	return onPlugin(d, func(p drivers.Driver) (*drivers.TaskResourceUsage, error) { return p.TaskStats(ctx, taskID) })
}

// SignalTask implements drivers.Signaler (ErrNotSupported when the plugin's
// driver does not).
func (d *lazyDriver) SignalTask(taskID, signal string) error {
	return onPluginErr(d, func(s drivers.Signaler) error { return s.SignalTask(taskID, signal) })
}

// ExecTask implements drivers.Execer.
func (d *lazyDriver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	return onPlugin(d, func(e drivers.Execer) (*drivers.ExecResult, error) { return e.ExecTask(taskID, cmd, timeout) })
}

// ExecTaskStreaming implements drivers.ExecStreamer.
func (d *lazyDriver) ExecTaskStreaming(ctx context.Context, taskID string, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	return onPlugin(d, func(e drivers.ExecStreamer) (*drivers.ExitResult, error) {
		return e.ExecTaskStreaming(ctx, taskID, opts)
	})
}

// TaskEvents implements drivers.EventEmitter: the events of every task.
func (d *lazyDriver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.TaskEventsFor(ctx, "")
}

// TaskEventsFor subscribes to the events of taskID ("" for all) with the
// plugin filtering them (drivers.TaskEventsOf on the plugin's client). The
// subscription counts as a call in flight until its channel closes.
func (d *lazyDriver) TaskEventsFor(ctx context.Context, taskID string) (<-chan *drivers.TaskEvent, error) {
	g, err := d.acquire()
	if err != nil {
		return nil, err
	}
	in, err := drivers.TaskEventsOf(ctx, g.plugin.Driver(), taskID)
	if err != nil {
		g.leave()
		return nil, err
	}
	out := make(chan *drivers.TaskEvent, cap(in))
	go func() {
		defer g.leave()
		defer close(out)
		for ev := range in {
			out <- ev
		}
	}()
	return out, nil
}
