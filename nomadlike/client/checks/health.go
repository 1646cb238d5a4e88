package checks

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Health check modes of an update block.
const (
	HealthChecks     = "checks"
	HealthTaskStates = "task_states"
	HealthManual     = "manual"
)

// Observation is what the health watcher sees of an allocation at a time.
type Observation struct {
	// TasksRunning: every task that must run is running.
	TasksRunning bool
	// TaskFailed: a task failed (or restarted, which Nomad counts as
	// not healthy but not yet failed; see HealthMachine).
	TaskFailed bool
	// ChecksHealthy: every check counts as passing per its on_update.
	ChecksHealthy bool
}

// HealthMachine decides an allocation's deployment health from
// observations; it does no I/O, so tests drive it with any clock.
type HealthMachine struct {
	Mode            string
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
	Start           time.Time

	healthySince time.Time
}

// Step takes the observation at now. It returns decided with the verdict,
// or the time by which Step must be called again (zero: only on change).
func (h *HealthMachine) Step(now time.Time, o Observation) (decided, healthy bool, wake time.Time) {
	if o.TaskFailed {
		return true, false, time.Time{}
	}
	ok := o.TasksRunning
	if h.Mode != HealthTaskStates {
		ok = ok && o.ChecksHealthy
	}
	if !ok {
		h.healthySince = time.Time{}
	} else if h.healthySince.IsZero() {
		h.healthySince = now
	}
	if ok && !now.Before(h.healthySince.Add(h.MinHealthyTime)) {
		return true, true, time.Time{}
	}
	var deadline time.Time
	if h.HealthyDeadline > 0 {
		deadline = h.Start.Add(h.HealthyDeadline)
		if !now.Before(deadline) {
			return true, false, time.Time{}
		}
	}
	wake = deadline
	if ok {
		if t := h.healthySince.Add(h.MinHealthyTime); wake.IsZero() || t.Before(wake) {
			wake = t
		}
	}
	return false, false, wake
}

// HealthStrategyOf returns the health parameters of an allocation of
// group tg: the update block when a deployment placed it; otherwise, for
// a service job, the group's migrate block (as Nomad's client does), whose
// verdicts the node drainer waits on before it moves more allocations;
// nil when the allocation's health is not tracked (batch and system jobs).
func HealthStrategyOf(a *nomadlike.Allocation, tg *nomadlike.TaskGroup) *nomadlike.UpdateStrategy {
	if a.DeploymentID != "" {
		return tg.Update
	}
	if a.Job == nil || a.Job.Type != nomadlike.JobTypeService {
		return nil
	}
	m := nomadlike.MigrateOf(tg)
	return &nomadlike.UpdateStrategy{HealthCheck: m.HealthCheck, MinHealthyTime: m.MinHealthyTime, HealthyDeadline: m.HealthyDeadline}
}

// HealthWatcher drives a HealthMachine from an allocation's changes.
type HealthWatcher struct {
	machine  HealthMachine
	observe  func() Observation
	report   func(healthy bool, at time.Time)
	now      func() time.Time
	notifyCh chan struct{}
	doneCh   chan struct{}
	cancel   context.CancelFunc
	decided  bool // Run's goroutine, then Stop's
}

// NewHealthWatcher returns a watcher of an allocation with update block
// u; observe reads the allocation's state, report receives the verdict
// once. It returns nil for manual health or a nil update block.
func NewHealthWatcher(u *nomadlike.UpdateStrategy, now func() time.Time, observe func() Observation, report func(bool, time.Time)) *HealthWatcher {
	if u == nil || u.HealthCheck == HealthManual {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &HealthWatcher{
		machine: HealthMachine{Mode: u.HealthCheck, MinHealthyTime: u.MinHealthyTime, HealthyDeadline: u.HealthyDeadline, Start: now()},
		observe: observe, report: report, now: now, notifyCh: make(chan struct{}, 1), doneCh: make(chan struct{}),
	}
}

// Start runs the watcher in its own goroutine until a verdict or Stop.
func (w *HealthWatcher) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		defer close(w.doneCh)
		w.Run(ctx)
	}()
}

// Stop ends the watcher. An allocation stopping because a task failed
// before a verdict is reported unhealthy, as Nomad does.
func (w *HealthWatcher) Stop() {
	w.cancel()
	<-w.doneCh
	if !w.decided && w.observe().TaskFailed {
		w.decided = true
		w.report(false, w.now())
	}
}

// Notify tells the watcher something changed; it never blocks.
func (w *HealthWatcher) Notify() {
	select {
	case w.notifyCh <- struct{}{}:
	default:
	}
}

// Run watches until a verdict is reported or ctx ends.
func (w *HealthWatcher) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := w.now()
		decided, healthy, wake := w.machine.Step(now, w.observe())
		if decided {
			w.decided = true
			w.report(healthy, now)
			return
		}
		wait := time.Hour
		if !wake.IsZero() {
			wait = max(wake.Sub(now), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-w.notifyCh:
			timer.Stop() // Go 1.23 timers: no stale value to drain
		case <-timer.C:
		}
	}
}
