package drivers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nomadlike/nomadlike/drivers/schema"
)

// Sentinel errors drivers return; they survive the plugin boundary.
var (
	// ErrTaskNotFound is returned for a task ID the driver does not know.
	ErrTaskNotFound = errors.New("task not found")
	// ErrNotSupported is returned for an optional capability a driver lacks.
	ErrNotSupported = errors.New("not supported by this driver")
)

// Driver is the contract every task driver implements. Implementations must
// be safe for concurrent use: the client calls them from one goroutine per task.
type Driver interface {
	// Info describes the driver; it must not block.
	Info() Info

	// SetConfig hands the driver its agent configuration (the plugin "NAME"
	// { config { ... } } block, as JSON) before any other call but Info.
	// An invalid config is an error naming the field.
	SetConfig(cfg *PluginConfig) error

	// Fingerprint reports the driver's health and node attributes. The client
	// calls it periodically.
	Fingerprint(ctx context.Context) (*Fingerprint, error)

	// ValidateTaskConfig checks a task's driver config (JSON) without starting
	// anything; errors name the field ("config.image: required").
	ValidateTaskConfig(config json.RawMessage) error

	// StartTask starts the task and returns a handle the client persists so
	// the task can be recovered after a restart.
	StartTask(cfg *TaskConfig) (*TaskHandle, error)

	// WaitTask blocks until the task exits or ctx is done.
	WaitTask(ctx context.Context, taskID string) (*ExitResult, error)

	// StopTask sends signal (the driver's default when empty) and kills the
	// task if it has not exited after timeout.
	StopTask(taskID string, timeout time.Duration, signal string) error

	// DestroyTask releases everything the task holds. With force it kills a
	// running task first; without, destroying a running task is an error.
	DestroyTask(taskID string, force bool) error

	// InspectTask returns the task's current status.
	InspectTask(taskID string) (*TaskStatus, error)

	// RecoverTask reattaches to a task started by an earlier driver process
	// from the handle StartTask returned.
	RecoverTask(handle *TaskHandle) error

	// TaskStats returns the task's current resource usage.
	TaskStats(ctx context.Context, taskID string) (*TaskResourceUsage, error)
}

// Signaler is implemented by drivers that can deliver signals to tasks.
type Signaler interface {
	SignalTask(taskID string, signal string) error
}

// Execer is implemented by drivers that can run a command inside a task.
type Execer interface {
	ExecTask(taskID string, cmd []string, timeout time.Duration) (*ExecResult, error)
}

// Info names a driver and its capabilities.
type Info struct {
	Name         string       `json:"Name"`
	Version      string       `json:"Version"`
	Capabilities Capabilities `json:"Capabilities"`
	// TaskConfigSchema is the schema of the driver's task config; the plugin
	// glue fills it from SchemaPublisher. Nil: the driver publishes none and
	// the servers cannot check task configs before placement.
	TaskConfigSchema *schema.Schema `json:"TaskConfigSchema,omitempty"`
}

// Filesystem isolation levels.
const (
	FSIsolationNone   = "none"
	FSIsolationChroot = "chroot"
	FSIsolationImage  = "image"
)

// Capabilities says what a driver supports.
type Capabilities struct {
	SendSignals bool   `json:"SendSignals"`
	Exec        bool   `json:"Exec"`
	FSIsolation string `json:"FSIsolation"`
	// MountConfigs says how the driver honours TaskConfig.Mounts
	// (MountConfigSupport*, mounts.go); empty: as MountConfigSupportNone.
	MountConfigs string `json:"MountConfigs,omitempty"`
	// NetIsolationModes lists the network isolation modes the driver
	// supports (network.go); none means the host's network only.
	NetIsolationModes []string `json:"NetIsolationModes,omitempty"`
}

// PluginConfig is the agent's configuration for a driver.
type PluginConfig struct {
	// Config is the driver's plugin block config as JSON ({} when absent).
	Config json.RawMessage `json:"Config"`
	// AgentVersion is the client agent's version.
	AgentVersion string `json:"AgentVersion"`
	// DataDir is a directory the driver may keep state in.
	DataDir string `json:"DataDir"`
}

// Health states.
const (
	HealthUndetected = "undetected"
	HealthUnhealthy  = "unhealthy"
	HealthHealthy    = "healthy"
)

// Fingerprint is a driver's view of the host.
type Fingerprint struct {
	Health            string `json:"Health"`
	HealthDescription string `json:"HealthDescription"`
	// Attributes become node attributes "driver.NAME.KEY"; the client adds
	// "driver.NAME" = "1" when healthy.
	Attributes map[string]string `json:"Attributes"`
}

// TaskConfig is everything a driver needs to start one task.
type TaskConfig struct {
	// ID is unique per task start: allocID/taskName/attempt-suffix.
	ID            string            `json:"ID"`
	JobName       string            `json:"JobName"`
	TaskGroupName string            `json:"TaskGroupName"`
	Name          string            `json:"Name"`
	AllocID       string            `json:"AllocID"`
	Namespace     string            `json:"Namespace"`
	User          string            `json:"User"`
	Env           map[string]string `json:"Env"`
	// Config is the task's driver config block as JSON, already interpolated.
	Config    json.RawMessage `json:"Config"`
	Resources Resources       `json:"Resources"`
	// AllocDir is the allocation's root directory on the host.
	AllocDir string `json:"AllocDir"`
	// TaskDir is the task's directories on the host.
	TaskDir TaskDir `json:"TaskDir"`
	// Logs says where and how to write the task's stdout and stderr:
	// rotated files LogDir/<Name>.stdout.N and LogDir/<Name>.stderr.N.
	Logs LogConfig `json:"Logs"`
	// KillSignal is the task's kill_signal; empty means the driver's default (SIGINT as Nomad).
	KillSignal string `json:"KillSignal"`
	// Mounts are the task's volume_mount blocks resolved to host paths
	// (mounts.go); only sent to drivers whose Capabilities.MountConfigs is
	// MountConfigSupportAll or MountConfigSupportHostPath.
	Mounts []MountConfig `json:"Mounts,omitempty"`
	// NetworkIsolation is the allocation's network namespace (network.go);
	// nil in host network mode.
	NetworkIsolation *NetworkIsolation `json:"NetworkIsolation,omitempty"`
}

// Resources are the task's limits.
type Resources struct {
	CPUShares   int64 `json:"CPUShares"`
	MemoryMB    int64 `json:"MemoryMB"`
	MemoryMaxMB int64 `json:"MemoryMaxMB"`
	DiskMB      int64 `json:"DiskMB"`
}

// TaskDir is a task's directory layout on the host, as Nomad's:
// AllocDir/alloc (shared), AllocDir/<task>/{local,secrets}.
type TaskDir struct {
	Dir        string `json:"Dir"`
	SharedDir  string `json:"SharedDir"`
	LocalDir   string `json:"LocalDir"`
	SecretsDir string `json:"SecretsDir"`
	LogDir     string `json:"LogDir"`
}

// LogConfig bounds the task's rotated log files.
type LogConfig struct {
	Dir           string `json:"Dir"`
	MaxFiles      int    `json:"MaxFiles"`
	MaxFileSizeMB int    `json:"MaxFileSizeMB"`
	Disabled      bool   `json:"Disabled"`
}

// Task states.
const (
	TaskStateUnknown = "unknown"
	TaskStateRunning = "running"
	TaskStateExited  = "exited"
)

// TaskHandle is what the client persists to recover a task later.
type TaskHandle struct {
	Version int         `json:"Version"`
	Config  *TaskConfig `json:"Config"`
	State   string      `json:"State"`
	// DriverState is the driver's own recovery data (pid, container ID...).
	DriverState json.RawMessage `json:"DriverState"`
	// Network is the network the driver created for the task (see
	// DriverNetwork); nil when the task uses the host's network.
	Network *DriverNetwork `json:"Network,omitempty"`
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int    `json:"ExitCode"`
	Signal    int    `json:"Signal"`
	OOMKilled bool   `json:"OOMKilled"`
	Err       string `json:"Err"`
}

// Successful reports a clean exit.
func (r *ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && !r.OOMKilled && r.Err == ""
}

// TaskStatus is a task's current state.
type TaskStatus struct {
	ID               string            `json:"ID"`
	Name             string            `json:"Name"`
	State            string            `json:"State"`
	StartedAt        time.Time         `json:"StartedAt"`
	CompletedAt      time.Time         `json:"CompletedAt"`
	ExitResult       *ExitResult       `json:"ExitResult"`
	DriverAttributes map[string]string `json:"DriverAttributes"`
}

// TaskResourceUsage is a sample of the task's resource use.
type TaskResourceUsage struct {
	Timestamp time.Time `json:"Timestamp"`
	// CPUPercent is of one core; UserMode and SystemMode are in nanoseconds.
	CPUPercent  float64 `json:"CPUPercent"`
	CPUUserNS   uint64  `json:"CPUUserNS"`
	CPUSystemNS uint64  `json:"CPUSystemNS"`
	MemoryRSS   uint64  `json:"MemoryRSS"`
	MemoryUsage uint64  `json:"MemoryUsage"`
	MemoryMax   uint64  `json:"MemoryMax"`
	Pids        int     `json:"Pids"`
}

// ExecResult is the output of a command run inside a task.
type ExecResult struct {
	ExitCode int    `json:"ExitCode"`
	Stdout   []byte `json:"Stdout"`
	Stderr   []byte `json:"Stderr"`
}
