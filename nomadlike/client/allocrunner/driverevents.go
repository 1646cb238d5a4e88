package allocrunner

import (
	"context"
	"errors"
	"maps"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// watchDriverEvents subscribes to the events the driver reports about the
// task started as id (drivers.EventEmitter) and appends them to the task's
// events, until the task's run attempt ends (stopDriverEvents) or the
// stream does. It is called before StartTask, so events of the start (an
// image pull) are kept. Drivers without events are fine. Run goroutine only.
func (tr *TaskRunner) watchDriverEvents(d drivers.Driver, id string) {
	tr.stopDriverEvents()
	ctx, cancel := context.WithCancel(tr.shutdownCtx)
	ch, err := taskEventsOf(ctx, d, id)
	if err != nil {
		cancel()
		if !errors.Is(err, drivers.ErrNotSupported) {
			tr.logger.Debug("cannot subscribe to the driver's task events", "error", err)
		}
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			tr.emit(driverMessageEvent(ev))
		}
	}()
	tr.eventsStop = func() { cancel(); <-done }
}

// taskEventsOf is drivers.TaskEventsOf, except for a driver that filters
// one task's events itself: the driver manager's handle of a lazily
// launched plugin (drivermanager.lazyDriver) has the plugin filter them.
func taskEventsOf(ctx context.Context, d drivers.Driver, id string) (<-chan *drivers.TaskEvent, error) {
	if f, ok := d.(interface {
		TaskEventsFor(context.Context, string) (<-chan *drivers.TaskEvent, error)
	}); ok {
		return f.TaskEventsFor(ctx, id)
	}
	return drivers.TaskEventsOf(ctx, d, id)
}

// stopDriverEvents ends the subscription of watchDriverEvents, if any.
func (tr *TaskRunner) stopDriverEvents() {
	if tr.eventsStop != nil {
		tr.eventsStop()
		tr.eventsStop = nil
	}
}

// driverMessageEvent is a driver's event as a task event of Type "Driver"
// (Nomad's shape): the message as DisplayMessage, the annotations as
// Details, and driver_message; an error the event reports in DriverError.
func driverMessageEvent(ev *drivers.TaskEvent) *nomadlike.TaskEvent {
	e := newEvent(nomadlike.TaskEventDriverMessage, ev.Message)
	if !ev.Timestamp.IsZero() {
		e.Time = ev.Timestamp.UnixNano()
	}
	maps.Copy(e.Details, ev.Annotations)
	e.Details["driver_message"] = ev.Message
	if ev.Err != "" {
		e.DriverError = ev.Err
		e.Details["driver_error"] = ev.Err
	}
	return e
}

// driverNetwork is the network a driver reported for the task, as the task
// state records it.
func driverNetwork(n *drivers.DriverNetwork) *nomadlike.DriverNetwork {
	if n == nil {
		return nil
	}
	return &nomadlike.DriverNetwork{IP: n.IP, PortMap: maps.Clone(n.PortMap), AutoAdvertise: n.AutoAdvertise}
}

// driverOf is the task's current driver.
func (tr *TaskRunner) driverOf() drivers.Driver {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.driver
}
