package localstate

import (
	"encoding/json"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// TaskRunnerState is what a task runner needs to resume a task: the driver's
// handle of the current run (nil when nothing runs) and the attempt counters
// of the restart policy.
type TaskRunnerState struct {
	Handle *drivers.TaskHandle `json:"Handle"`
	// Restarts within the current restart interval and when it began.
	RestartCount    int   `json:"RestartCount"`
	RestartWindowNS int64 `json:"RestartWindowNS"`
	// ArtifactsDone is set once every artifact was downloaded, so a restart
	// does not fetch them again.
	ArtifactsDone bool `json:"ArtifactsDone"`
}

// AllocState is one allocation as the client last persisted it.
type AllocState struct {
	Alloc *nomadlike.Allocation
	// Tasks holds the runner state of each task by name.
	Tasks map[string]*TaskRunnerState
	// TaskStates holds the user-visible state of each task by name.
	TaskStates map[string]*nomadlike.TaskState
}

// DB is the client's local state. Writes are durable when they return.
type DB interface {
	// NodeIdentity returns the persisted node ID and secret ("" when new).
	NodeIdentity() (id, secret string, err error)
	PutNodeIdentity(id, secret string) error

	// Allocs returns every persisted allocation with its tasks' states.
	Allocs() ([]*AllocState, error)
	PutAlloc(a *nomadlike.Allocation) error
	PutTaskRunnerState(allocID, task string, s *TaskRunnerState) error
	PutTaskState(allocID, task string, s *nomadlike.TaskState) error
	// PutTask writes a task's user-visible state and its runner state
	// together, in one transaction (a task runner persists both on every
	// change).
	PutTask(allocID, task string, state *nomadlike.TaskState, runner *TaskRunnerState) error
	// DeleteAlloc forgets an allocation and its tasks.
	DeleteAlloc(allocID string) error

	// DriverPlugins returns the reattach configuration of each plugin by name.
	DriverPlugins() (map[string]json.RawMessage, error)
	PutDriverPlugin(name string, reattach json.RawMessage) error
	DeleteDriverPlugin(name string) error

	Close() error
}
