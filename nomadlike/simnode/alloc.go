package simnode

import (
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// simAlloc is what a simulated node knows of one allocation: the client
// status it reported last and the pretend states of the tasks.
type simAlloc struct {
	id, jobID, namespace, group string
	batch                       bool
	status                      string
	desc                        string
	tasks                       map[string]*nomadlike.TaskState
	timer                       *time.Timer
}

// allocView is the part of an allocation, as the servers send it, that a
// simulated node needs. Decoding only these fields keeps the simulator's
// share of the CPU small when thousands of nodes read their allocations.
type allocView struct {
	ID            string `json:"ID"`
	Namespace     string `json:"Namespace"`
	JobID         string `json:"JobID"`
	TaskGroup     string `json:"TaskGroup"`
	DesiredStatus string `json:"DesiredStatus"`
	ClientStatus  string `json:"ClientStatus"`
	// AllocModifyIndex is what the index-only watch compares.
	AllocModifyIndex uint64   `json:"AllocModifyIndex"`
	Job              *jobView `json:"Job"`
}

// jobView is the part of a job a simulated node needs.
type jobView struct {
	Type       string `json:"Type"`
	TaskGroups []struct {
		Name  string `json:"Name"`
		Tasks []struct {
			Name string `json:"Name"`
		} `json:"Tasks"`
	} `json:"TaskGroups"`
}

// clientTerminal reports whether the servers consider the allocation
// finished on the client (complete, failed or lost).
func (a *allocView) clientTerminal() bool {
	switch a.ClientStatus {
	case nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost:
		return true
	}
	return false
}

// terminal reports whether the allocation will not run again.
func (a *allocView) terminal() bool {
	return a.DesiredStatus == nomadlike.AllocDesiredStatusStop || a.DesiredStatus == nomadlike.AllocDesiredStatusEvict ||
		a.clientTerminal()
}

// newSimAlloc takes the tasks of a's group from a.Job.
func newSimAlloc(a *allocView) *simAlloc {
	sa := &simAlloc{
		id: a.ID, jobID: a.JobID, namespace: a.Namespace, group: a.TaskGroup,
		tasks: map[string]*nomadlike.TaskState{},
	}
	if a.Job != nil {
		sa.batch = jobIsBatch(a.Job.Type)
		for _, tg := range a.Job.TaskGroups {
			if tg.Name != a.TaskGroup {
				continue
			}
			for _, t := range tg.Tasks {
				sa.tasks[t.Name] = &nomadlike.TaskState{State: nomadlike.TaskStatePending}
			}
		}
	}
	if len(sa.tasks) == 0 {
		// An allocation without its job still gets one task to report on.
		sa.tasks[a.TaskGroup] = &nomadlike.TaskState{State: nomadlike.TaskStatePending}
	}
	return sa
}

func event(typ, msg string, at time.Time) *nomadlike.TaskEvent {
	return &nomadlike.TaskEvent{Type: typ, Time: at.UnixNano(), Message: msg, DisplayMessage: msg}
}

// received marks the allocation pending with a Received event per task.
func (sa *simAlloc) received(at time.Time) {
	sa.status = nomadlike.AllocClientStatusPending
	sa.desc = "No tasks have started"
	for _, ts := range sa.tasks {
		ts.Events = append(ts.Events, event(nomadlike.TaskEventReceived, "Task received by client", at))
	}
}

// started marks every task running.
func (sa *simAlloc) started(at time.Time) {
	sa.status = nomadlike.AllocClientStatusRunning
	sa.desc = "Tasks are running"
	for _, ts := range sa.tasks {
		ts.State = nomadlike.TaskStateRunning
		ts.StartedAt = nomadlike.Time{Time: at.UTC()}
		ts.Events = append(ts.Events,
			event(nomadlike.TaskEventSetup, "Building Task Directory", at),
			event(nomadlike.TaskEventStarted, "Task started by client", at))
	}
}

// exited marks every task dead after exiting 0.
func (sa *simAlloc) exited(at time.Time) {
	sa.status = nomadlike.AllocClientStatusComplete
	sa.desc = "All tasks have completed"
	for _, ts := range sa.tasks {
		ts.State = nomadlike.TaskStateDead
		ts.FinishedAt = nomadlike.Time{Time: at.UTC()}
		ev := event(nomadlike.TaskEventTerminated, "Exit Code: 0", at)
		ev.Details = map[string]string{"exit_code": "0"}
		ts.Events = append(ts.Events, ev)
	}
}

// killed marks every task dead after the server stopped the allocation.
func (sa *simAlloc) killed(at time.Time) {
	sa.status = nomadlike.AllocClientStatusComplete
	sa.desc = "All tasks have completed"
	for _, ts := range sa.tasks {
		if ts.State == nomadlike.TaskStateDead {
			continue
		}
		ts.State = nomadlike.TaskStateDead
		ts.FinishedAt = nomadlike.Time{Time: at.UTC()}
		ts.Events = append(ts.Events,
			event(nomadlike.TaskEventKilling, "Sent interrupt", at),
			event(nomadlike.TaskEventKilled, "Task successfully killed", at))
	}
}

// stopTimer cancels a pending start or exit.
func (sa *simAlloc) stopTimer() {
	if sa.timer != nil {
		sa.timer.Stop()
		sa.timer = nil
	}
}

// terminal reports whether the simulated tasks are done.
func (sa *simAlloc) terminal() bool {
	switch sa.status {
	case nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost:
		return true
	}
	return false
}

// update returns the client-side fields as an UpdateAllocs element; it owns
// copies of the task states, so later transitions do not change it.
func (sa *simAlloc) update(nodeID string) *nomadlike.Allocation {
	states := make(map[string]*nomadlike.TaskState, len(sa.tasks))
	for name, ts := range sa.tasks {
		cp := *ts
		cp.Events = append([]*nomadlike.TaskEvent(nil), ts.Events...)
		states[name] = &cp
	}
	return &nomadlike.Allocation{
		ID: sa.id, Namespace: sa.namespace, NodeID: nodeID, JobID: sa.jobID, TaskGroup: sa.group,
		ClientStatus: sa.status, ClientDescription: sa.desc, TaskStates: states,
	}
}
