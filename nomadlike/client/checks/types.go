package checks

import (
	"context"
	"errors"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Status is a check's (or a service's aggregate) status.
type Status string

// Statuses, as Consul names them.
const (
	StatusPending  Status = "pending"
	StatusPassing  Status = "passing"
	StatusWarning  Status = "warning"
	StatusCritical Status = "critical"
)

// Check types.
const (
	TypeHTTP   = "http"
	TypeTCP    = "tcp"
	TypeGRPC   = "grpc"
	TypeScript = "script"
)

// Errors of check registration.
var (
	ErrUnknownType = errors.New("unknown check type")
	ErrNoPort      = errors.New("check has no port")
	ErrNoTask      = errors.New("script check names no task")
)

// Default timings of a check that sets none.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 5 * time.Second
	minInterval     = 100 * time.Millisecond
	slack           = 10 * time.Millisecond
	// firstRunWindow bounds the spread of a check's first run.
	firstRunWindow = time.Second
	maxOutput      = 4096
)

// Result is one run of a check.
type Result struct {
	Status     Status
	Output     string
	StatusCode int
	Time       time.Time
}

// Tasks is what the manager needs from an allocation's runner.
type Tasks interface {
	// TaskState returns the task's current state (nil: unknown task).
	TaskState(task string) *nomadlike.TaskState
	// Exec runs cmd inside the running task (script checks).
	Exec(ctx context.Context, task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error)
	// RestartTask restarts the task through its restart policy
	// (check_restart).
	RestartTask(task, reason string) error
	// ChecksChanged is called after a check's reported status changed.
	ChecksChanged()
}
