package allocrunner

// The task runner's control surface: what the alloc runner, the client's
// HTTP handlers (alloc restart, signal, exec, stats) and the check runner
// ask of a running task. Run (taskrunner.go) drives the task itself.

import (
	"context"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// MarkDead finishes a task that never ran (its allocation stopped first).
func (tr *TaskRunner) MarkDead() {
	tr.mu.Lock()
	started := tr.started
	tr.mu.Unlock()
	if !started {
		tr.setState(nomadlike.TaskStateDead, false, nil)
	}
}

// Kill stops the task (or keeps it from starting). cause, when set, is
// recorded first (Sibling Task Failed, Leader Task Dead) and its message is
// shown in the Killing event. Kill returns at once; WaitCh says when done.
func (tr *TaskRunner) Kill(cause *nomadlike.TaskEvent) {
	first := false
	tr.mu.Lock()
	if tr.killCtx.Err() == nil {
		first = true
		if cause != nil {
			tr.killNote = cause.DisplayMessage
			tr.killFails = cause.FailsTask
		}
	}
	dead := tr.state.State == nomadlike.TaskStateDead
	tr.mu.Unlock()
	if first && cause != nil && !dead {
		tr.emit(cause)
	}
	tr.killCancel()
}

// Shutdown detaches the runner from the task, which keeps running; a later
// agent recovers it from the persisted handle.
func (tr *TaskRunner) Shutdown() { tr.shutdownCancel() }

// Restart asks the runner to stop the task and start it again at once; it
// does not count against the restart policy.
func (tr *TaskRunner) Restart() error { return tr.RestartFor(ReasonUserRestart) }

// RestartFor is Restart with the reason the Restart Signaled event shows.
func (tr *TaskRunner) RestartFor(reason string) error {
	tr.mu.Lock()
	running := tr.state.State == nomadlike.TaskStateRunning
	if running {
		tr.restartNote = reason
	}
	tr.mu.Unlock()
	if !running {
		return fmt.Errorf("restart %s: %w", tr.name, ErrTaskNotRunning)
	}
	select {
	case tr.restartCh <- struct{}{}:
	default:
	}
	return nil
}

// RestartForCheck stops the running task because a check failed
// (check_restart); unlike Restart, the restart goes through the restart
// policy, counting as a failure, as Nomad's.
func (tr *TaskRunner) RestartForCheck(reason string) error {
	tr.mu.Lock()
	running := tr.state.State == nomadlike.TaskStateRunning
	tr.mu.Unlock()
	if !running {
		return fmt.Errorf("restart %s: %w", tr.name, ErrTaskNotRunning)
	}
	select {
	case tr.checkRestartCh <- reason:
	default:
	}
	return nil
}

// running returns the driver and handle of the task's current run.
func (tr *TaskRunner) running() (drivers.Driver, *drivers.TaskHandle, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.state.State != nomadlike.TaskStateRunning || tr.local.Handle == nil || tr.driver == nil {
		return nil, nil, fmt.Errorf("task %s: %w", tr.name, ErrTaskNotRunning)
	}
	return tr.driver, tr.local.Handle, nil
}

// Signal sends a signal to the running task. sig must be a signal name
// (see ParseSignal); anything else is refused before an event is recorded.
func (tr *TaskRunner) Signal(sig string) error {
	sig, err := ParseSignal(sig)
	if err != nil {
		return err
	}
	d, h, err := tr.running()
	if err != nil {
		return err
	}
	s, ok := d.(drivers.Signaler)
	if !ok {
		return fmt.Errorf("signal %s: %w", tr.name, drivers.ErrNotSupported)
	}
	ev := newEvent(nomadlike.TaskEventSignaling, "Task being sent signal "+sig)
	ev.Details["signal"] = sig
	tr.emit(ev)
	return s.SignalTask(h.Config.ID, sig)
}

// Exec runs cmd inside the running task.
func (tr *TaskRunner) Exec(cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	d, h, err := tr.running()
	if err != nil {
		return nil, err
	}
	e, ok := d.(drivers.Execer)
	if !ok {
		return nil, fmt.Errorf("exec in %s: %w", tr.name, drivers.ErrNotSupported)
	}
	return e.ExecTask(h.Config.ID, cmd, timeout)
}

// ExecStreaming runs an interactive command inside the running task
// (alloc exec); it returns when the command exits, ctx ends or the task
// stops.
func (tr *TaskRunner) ExecStreaming(ctx context.Context, opts *drivers.ExecOptions) (*drivers.ExitResult, error) {
	d, h, err := tr.running()
	if err != nil {
		return nil, err
	}
	e, ok := d.(drivers.ExecStreamer)
	if !ok || !d.Info().Capabilities.Exec {
		return nil, fmt.Errorf("exec in %s: %w", tr.name, drivers.ErrNotSupported)
	}
	return e.ExecTaskStreaming(ctx, h.Config.ID, opts)
}

// Stats samples the running task's resource usage.
func (tr *TaskRunner) Stats(ctx context.Context) (*drivers.TaskResourceUsage, error) {
	d, h, err := tr.running()
	if err != nil {
		return nil, err
	}
	return d.TaskStats(ctx, h.Config.ID)
}
