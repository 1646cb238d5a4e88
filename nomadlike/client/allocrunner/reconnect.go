package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// ErrDriverLost is the reason a task is given up after its driver plugin
// died and the task could not be recovered from its handle.
var ErrDriverLost = errors.New("lost track of the task")

// reconnectPolicy bounds how a task runner waits for a dead driver plugin to
// come back: RecoverTask is retried with doubling delays from First up to Max
// until Budget has passed. A plugin that dies again and again is given up
// after MaxReconnects successful recoveries within one run of the task.
type reconnectPolicy struct {
	First, Max    time.Duration
	Budget        time.Duration
	MaxReconnects int
}

// defaultReconnect lets a plugin take about a minute to come back.
var defaultReconnect = reconnectPolicy{First: 100 * time.Millisecond, Max: 5 * time.Second, Budget: 60 * time.Second, MaxReconnects: 10}

// reconnect gets the task's driver again (the driver manager relaunches a
// plugin whose process has died) and recovers the task from its handle,
// retrying with backoff. It returns the driver that knows the task again,
// or the last error once the budget is spent or the runner shuts down. A
// kill does not stop it: a task is killed through its driver, so the driver
// must be back first.
func (tr *TaskRunner) reconnect(h *drivers.TaskHandle) (drivers.Driver, error) {
	p := tr.reconnectPolicy
	deadline := time.Now().Add(p.Budget)
	delay := p.First
	var last error
	for try := 1; ; try++ {
		d, err := tr.drivers.Driver(tr.Task().Driver)
		if err == nil {
			if err = d.RecoverTask(h); err == nil {
				return d, nil
			}
		}
		last = err
		tr.logger.Debug("driver not back yet", "attempt", try, "error", err)
		if time.Now().Add(delay).After(deadline) {
			return nil, fmt.Errorf("%w: recover after %d attempts: %v", ErrDriverLost, try, last)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-tr.shutdownCtx.Done():
			t.Stop()
			return nil, tr.shutdownCtx.Err()
		}
		delay = min(2*delay, p.Max)
	}
}

// giveUp is the end of a task whose driver cannot be reached: a driver
// that is back (a relaunched plugin knows the task only once recovered, so
// recovery is tried once more, its error ignored) destroys the task (its
// processes, cgroup or container) so nothing is left running, and the task
// exits with -1.
func (tr *TaskRunner) giveUp(h *drivers.TaskHandle, cause error) *drivers.ExitResult {
	tr.logger.Error("giving up on the task: its driver cannot recover it", "error", cause)
	if d, err := tr.drivers.Driver(tr.Task().Driver); err == nil {
		_ = d.RecoverTask(h)
		if err := d.DestroyTask(h.Config.ID, true); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
			tr.logger.Warn("destroy lost task", "error", err)
		}
	}
	msg := cause.Error()
	if !errors.Is(cause, ErrDriverLost) {
		msg = ErrDriverLost.Error() + ": " + msg
	}
	tr.emit(driverFailureEvent(errors.New(msg), false))
	return &drivers.ExitResult{ExitCode: -1, Err: msg}
}

// stopAgain stops the task through a recovered driver when StopTask failed
// because the plugin died: it returns that driver and a channel for its
// WaitTask, or d and resCh unchanged when the driver cannot be recovered
// (the caller's DestroyTask then fails too, and the task is given up).
func (tr *TaskRunner) stopAgain(d drivers.Driver, id string, timeout time.Duration, signal string, resCh <-chan waitResult) (drivers.Driver, <-chan waitResult) {
	tr.mu.Lock()
	h := tr.local.Handle
	tr.mu.Unlock()
	nd, err := tr.reconnect(h)
	if err != nil {
		tr.giveUp(h, err)
		return d, resCh
	}
	ch := make(chan waitResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(tr.shutdownCtx, timeout+30*time.Second)
		defer cancel()
		r, err := nd.WaitTask(ctx, id)
		ch <- waitResult{r, err}
	}()
	if err := nd.StopTask(id, timeout, signal); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		tr.logger.Warn("stop recovered task", "error", err)
	}
	tr.mu.Lock()
	tr.driver = nd
	tr.mu.Unlock()
	return nd, ch
}

// taskEventDriver is Nomad's "Driver" event type: a message from the driver.
const taskEventDriver = "Driver"

// reconnectedEvent tells the user the task survived its plugin's death.
func reconnectedEvent(cause error) *nomadlike.TaskEvent {
	ev := newEvent(taskEventDriver, "Driver plugin restarted; task recovered")
	ev.Details["driver_error"] = cause.Error()
	return ev
}
