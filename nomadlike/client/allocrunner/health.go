package allocrunner

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/checks"
)

// Checks and deployment health (issue #13). The alloc runner registers its
// services' checks with the client's checks.Manager once every main task
// runs, and deregisters them when the tasks stop; an allocation placed by
// a deployment, or any other of a service job (node drains pace on it,
// with the migrate block's parameters), gets a HealthWatcher whose verdict
// becomes Allocation.DeploymentStatus{Healthy, Timestamp}, sent to the
// servers through the state updater.

// checkTasks adapts the alloc runner to checks.Tasks.
type checkTasks struct{ ar *AllocRunner }

func (c checkTasks) TaskState(task string) *nomadlike.TaskState {
	tr, err := c.ar.TaskRunner(task)
	if err != nil {
		return nil
	}
	return tr.State()
}

func (c checkTasks) Exec(_ context.Context, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	tr, err := c.ar.TaskRunner(task)
	if err != nil {
		return nil, err
	}
	return tr.Exec(cmd, timeout)
}

func (c checkTasks) RestartTask(task, reason string) error {
	tr, err := c.ar.TaskRunner(task)
	if err != nil {
		return err
	}
	return tr.RestartForCheck(reason)
}

func (c checkTasks) ChecksChanged() { c.ar.notifyHealth() }

// startChecks registers the allocation's checks and starts its health
// watcher; the alloc runner calls it once every main task runs.
func (ar *AllocRunner) startChecks() {
	a := ar.Alloc()
	if ar.checks != nil {
		ar.checks.Register(a, checkTasks{ar})
	}
	ar.startHealth(a)
}

// stopChecks deregisters the checks and stops the health watcher.
func (ar *AllocRunner) stopChecks() {
	if ar.checks != nil {
		ar.checks.Deregister(ar.id)
	}
	ar.mu.Lock()
	w := ar.healthW
	ar.healthW, ar.checksOn = nil, false
	ar.mu.Unlock()
	if w != nil {
		w.Stop()
	}
}

// startHealth watches the health of an allocation whose health is not
// known yet: placed by a deployment (update block), or of a service job
// outside deployments (migrate block: the node drainer waits on it).
func (ar *AllocRunner) startHealth(a *nomadlike.Allocation) {
	if a.DeploymentStatus.IsHealthy() || a.DeploymentStatus.IsUnhealthy() || a.Job == nil {
		return
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return
	}
	deployment := a.DeploymentID
	w := checks.NewHealthWatcher(checks.HealthStrategyOf(a, tg), nil, ar.observeHealth, func(healthy bool, at time.Time) {
		ar.setHealth(deployment, healthy, at)
	})
	if w == nil {
		return
	}
	ar.mu.Lock()
	old := ar.healthW
	ar.healthW = w
	ar.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	w.Start()
}

func (ar *AllocRunner) notifyHealth() {
	ar.mu.Lock()
	w := ar.healthW
	ar.mu.Unlock()
	if w != nil {
		w.Notify()
	}
}

// observeHealth is the health watcher's view: every task that must run
// runs (completed prestart and poststart tasks and poststop tasks aside),
// none failed, and every check counts as passing.
func (ar *AllocRunner) observeHealth() checks.Observation {
	o := checks.Observation{TasksRunning: true, ChecksHealthy: true}
	for _, tr := range ar.taskList() {
		s := tr.State()
		if s.Failed {
			o.TaskFailed = true
		}
		switch ar.roles[tr.Name()] {
		case roleMain, rolePrestartSidecar:
			if s.State != nomadlike.TaskStateRunning {
				o.TasksRunning = false
			}
		}
	}
	if ar.checks != nil {
		o.ChecksHealthy = ar.checks.AllHealthy(ar.id)
	}
	return o
}

// setHealth records the verdict for the deployment and reports it.
func (ar *AllocRunner) setHealth(deployment string, healthy bool, at time.Time) {
	ar.mu.Lock()
	if ar.alloc.DeploymentID != deployment {
		ar.mu.Unlock()
		return
	}
	ds := &nomadlike.AllocDeploymentStatus{Healthy: &healthy, Timestamp: at.UTC()}
	if prev := ar.alloc.DeploymentStatus; prev != nil {
		ds.Canary, ds.ModifyIndex = prev.Canary, prev.ModifyIndex
	}
	ar.health = ds
	a := ar.alloc.Copy()
	a.DeploymentStatus = ds
	ar.mu.Unlock()
	ar.logger.Info("allocation health set", "deployment_id", deployment, "healthy", healthy)
	if err := ar.db.PutAlloc(a); err != nil {
		ar.logger.Error("persist alloc health", "error", err)
	}
	ar.taskStateUpdated()
}

// withHealthLocked overlays the client's verdict on a copy of the
// allocation until the servers' version carries one.
func (ar *AllocRunner) withHealthLocked(a *nomadlike.Allocation) {
	h := ar.health
	if h == nil {
		return
	}
	if a.DeploymentStatus != nil && a.DeploymentStatus.Healthy != nil {
		return
	}
	ds := *h
	if a.DeploymentStatus != nil {
		ds.Canary, ds.ModifyIndex = a.DeploymentStatus.Canary, a.DeploymentStatus.ModifyIndex
	}
	a.DeploymentStatus = &ds
}

func (ar *AllocRunner) setChecksRunning() {
	ar.mu.Lock()
	ar.checksOn = true
	ar.mu.Unlock()
}

func (ar *AllocRunner) checksRunning() bool {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.checksOn
}
