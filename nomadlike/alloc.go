package nomadlike

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// Desired statuses, set by servers.
const (
	AllocDesiredStatusRun   = "run"
	AllocDesiredStatusStop  = "stop"
	AllocDesiredStatusEvict = "evict"
)

// Client statuses, set by client agents (lost by servers).
const (
	AllocClientStatusPending  = "pending"
	AllocClientStatusRunning  = "running"
	AllocClientStatusComplete = "complete"
	AllocClientStatusFailed   = "failed"
	AllocClientStatusLost     = "lost"
	AllocClientStatusUnknown  = "unknown"
)

// Task states.
const (
	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"
)

// Allocation is one placed copy of a task group on a node.
type Allocation struct {
	ID                 string                `json:"ID"`
	Namespace          string                `json:"Namespace"`
	EvalID             string                `json:"EvalID"`
	Name               string                `json:"Name"`
	NodeID             string                `json:"NodeID"`
	NodeName           string                `json:"NodeName"`
	JobID              string                `json:"JobID"`
	Job                *Job                  `json:"Job"`
	TaskGroup          string                `json:"TaskGroup"`
	AllocatedResources *AllocatedResources   `json:"AllocatedResources"`
	Metrics            *AllocMetric          `json:"Metrics"`
	DesiredStatus      string                `json:"DesiredStatus"`
	DesiredDescription string                `json:"DesiredDescription"`
	DesiredTransition  DesiredTransition     `json:"DesiredTransition"`
	ClientStatus       string                `json:"ClientStatus"`
	ClientDescription  string                `json:"ClientDescription"`
	TaskStates         map[string]*TaskState `json:"TaskStates"`
	// NetworkStatus is the group's own network namespace as the client
	// made it (bridge, none, cni/NAME); nil in host mode.
	NetworkStatus      *AllocNetworkStatus `json:"NetworkStatus"`
	PreviousAllocation string              `json:"PreviousAllocation"`
	NextAllocation     string              `json:"NextAllocation"`
	RescheduleTracker  *RescheduleTracker  `json:"RescheduleTracker"`
	FollowupEvalID     string              `json:"FollowupEvalID"`
	// SignedIdentities holds each task's workload identity JWT (task name
	// -> token). Never stored: the servers sign them into the allocations
	// a client fetches (POST /v1/client/allocations/fetch).
	SignedIdentities map[string]string `json:"SignedIdentities,omitempty"`
	// DeploymentID is the deployment that placed the allocation (service
	// jobs with an update block); DeploymentStatus is its health in that
	// deployment, set by the client and by operators (manual health).
	DeploymentID     string                 `json:"DeploymentID"`
	DeploymentStatus *AllocDeploymentStatus `json:"DeploymentStatus"`
	CreateIndex      uint64                 `json:"CreateIndex"`
	ModifyIndex      uint64                 `json:"ModifyIndex"`
	AllocModifyIndex uint64                 `json:"AllocModifyIndex"`
	CreateTime       int64                  `json:"CreateTime"`
	ModifyTime       int64                  `json:"ModifyTime"`
}

// AllocDeploymentStatus is an allocation's health within its deployment.
// Healthy is nil until the health is known.
type AllocDeploymentStatus struct {
	Healthy     *bool     `json:"Healthy"`
	Timestamp   time.Time `json:"Timestamp"`
	Canary      bool      `json:"Canary"`
	ModifyIndex uint64    `json:"ModifyIndex"`
}

// IsHealthy reports whether the allocation is known healthy.
func (s *AllocDeploymentStatus) IsHealthy() bool {
	return s != nil && s.Healthy != nil && *s.Healthy
}

// IsUnhealthy reports whether the allocation is known unhealthy.
func (s *AllocDeploymentStatus) IsUnhealthy() bool {
	return s != nil && s.Healthy != nil && !*s.Healthy
}

// IsCanary reports whether the allocation is a canary.
func (s *AllocDeploymentStatus) IsCanary() bool { return s != nil && s.Canary }

// AllocatedResources is what the scheduler gave an allocation.
type AllocatedResources struct {
	Tasks  map[string]*AllocatedTaskResources `json:"Tasks"`
	Shared AllocatedSharedResources           `json:"Shared"`
}

// AllocatedTaskResources is one task's share.
type AllocatedTaskResources struct {
	Cpu      AllocatedCpuResources    `json:"Cpu"`
	Memory   AllocatedMemoryResources `json:"Memory"`
	Networks []*NetworkResource       `json:"Networks"`
}

// AllocatedCpuResources is CPU in MHz shares.
type AllocatedCpuResources struct {
	CpuShares int64 `json:"CpuShares"`
}

// AllocatedMemoryResources is memory with an optional oversubscription max.
type AllocatedMemoryResources struct {
	MemoryMB    int64 `json:"MemoryMB"`
	MemoryMaxMB int64 `json:"MemoryMaxMB"`
}

// AllocatedSharedResources is shared by the group's tasks.
type AllocatedSharedResources struct {
	DiskMB   int64              `json:"DiskMB"`
	Networks []*NetworkResource `json:"Networks"`
	Ports    []AllocatedPort    `json:"Ports"`
}

// AllocatedPort is a port label bound to a host value.
type AllocatedPort struct {
	Label  string `json:"Label"`
	Value  int    `json:"Value"`
	To     int    `json:"To"`
	HostIP string `json:"HostIP"`
}

// DesiredTransition marks an allocation for migration or rescheduling.
type DesiredTransition struct {
	Migrate         *bool `json:"Migrate"`
	Reschedule      *bool `json:"Reschedule"`
	ForceReschedule *bool `json:"ForceReschedule"`
}

// RescheduleTracker records the reschedule history of an allocation chain.
type RescheduleTracker struct {
	Events []*RescheduleEvent `json:"Events"`
}

// RescheduleEvent is one reschedule.
type RescheduleEvent struct {
	RescheduleTime int64  `json:"RescheduleTime"`
	PrevAllocID    string `json:"PrevAllocID"`
	PrevNodeID     string `json:"PrevNodeID"`
	Delay          int64  `json:"Delay"`
}

// TaskState is the client's view of one task. Its times encode as RFC 3339
// strings, as Nomad's; zero times mean "not yet".
type TaskState struct {
	State       string       `json:"State"`
	Failed      bool         `json:"Failed"`
	Restarts    uint64       `json:"Restarts"`
	LastRestart Time         `json:"LastRestart"`
	StartedAt   Time         `json:"StartedAt"`
	FinishedAt  Time         `json:"FinishedAt"`
	Events      []*TaskEvent `json:"Events"`
	// DriverNetwork is the network the driver created for the task, when it
	// made one (drivers.TaskHandle.Network); nil: the host's network.
	DriverNetwork *DriverNetwork `json:"DriverNetwork,omitempty"`
}

// Time is a time.Time (its methods are promoted) that encodes as an RFC
// 3339 string, as Nomad's times do, and decodes that or the integer unix
// nanoseconds older nomadlike wrote for task state times (raft log
// entries, snapshots, client state and updates of older agents); 0 and
// null are the zero time.
type Time struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		t.Time = time.Time{}
		return nil
	case b[0] == '"':
		return t.Time.UnmarshalJSON(b)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// A type error: the decoder adds the field path to it.
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Time]()}
	}
	if n == 0 {
		t.Time = time.Time{}
	} else {
		t.Time = time.Unix(0, n).UTC()
	}
	return nil
}

// jsonKind names the kind of a JSON value as encoding/json's errors do.
func jsonKind(b []byte) string {
	switch b[0] {
	case 't', 'f':
		return "bool"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "number " + string(b)
}

// Task event types, shown to users by `alloc status`.
const (
	TaskEventReceived               = "Received"
	TaskEventSetup                  = "Task Setup"
	TaskEventSetupFailure           = "Setup Failure"
	TaskEventDriverFailure          = "Driver Failure"
	TaskEventStarted                = "Started"
	TaskEventTerminated             = "Terminated"
	TaskEventKilling                = "Killing"
	TaskEventKilled                 = "Killed"
	TaskEventRestarting             = "Restarting"
	TaskEventNotRestarting          = "Not Restarting"
	TaskEventRestartSignal          = "Restart Signaled"
	TaskEventSignaling              = "Signaling"
	TaskEventDownloadingArtifacts   = "Downloading Artifacts"
	TaskEventArtifactDownloadFailed = "Failed Artifact Download"
	TaskEventSiblingFailed          = "Sibling Task Failed"
	TaskEventLeaderDead             = "Leader Task Dead"
	TaskEventTemplateFailed         = "Template Failed"
	TaskEventOOMKilled              = "OOM Killed"
)

// TaskEvent is one thing that happened to a task, with its reason.
//
// The two bools sit together so that the struct is 128 bytes, not 136 (a
// 144-byte allocation): servers store a few events per task of every
// allocation.
type TaskEvent struct {
	Type           string            `json:"Type"`
	Time           int64             `json:"Time"`
	Message        string            `json:"Message"`
	DisplayMessage string            `json:"DisplayMessage"`
	Details        map[string]string `json:"Details"`
	FailsTask      bool              `json:"FailsTask"`
	OOMKilled      bool              `json:"OOMKilled"`
	ExitCode       int               `json:"ExitCode"`
	Signal         int               `json:"Signal"`
	KillTimeout    int64             `json:"KillTimeout"`
	RestartReason  string            `json:"RestartReason"`
	DriverError    string            `json:"DriverError"`
}

// TerminalStatus reports whether the allocation will not run again: its
// desired status is stop or evict, or its client status is terminal.
func (a *Allocation) TerminalStatus() bool {
	switch a.DesiredStatus {
	case AllocDesiredStatusStop, AllocDesiredStatusEvict:
		return true
	}
	return a.ClientTerminalStatus()
}

// ClientTerminalStatus reports whether the client finished with it.
func (a *Allocation) ClientTerminalStatus() bool {
	switch a.ClientStatus {
	case AllocClientStatusComplete, AllocClientStatusFailed, AllocClientStatusLost:
		return true
	}
	return false
}

// Comparable returns the resources the allocation holds on its node.
func (a *Allocation) Comparable() ComparableResources {
	var c ComparableResources
	if a.AllocatedResources == nil {
		return c
	}
	for _, t := range a.AllocatedResources.Tasks {
		c.CPU += t.Cpu.CpuShares
		c.MemoryMB += t.Memory.MemoryMB
	}
	c.DiskMB = a.AllocatedResources.Shared.DiskMB
	return c
}

// Index returns the allocation's index within its group, parsed from its
// name "job.group[3]"; -1 when the name has no index.
func (a *Allocation) Index() int {
	n := a.Name
	if len(n) < 3 || n[len(n)-1] != ']' {
		return -1
	}
	i := len(n) - 2
	for i >= 0 && n[i] >= '0' && n[i] <= '9' {
		i--
	}
	if i < 0 || n[i] != '[' || i == len(n)-2 {
		return -1
	}
	v := 0
	for _, ch := range n[i+1 : len(n)-1] {
		v = v*10 + int(ch-'0')
	}
	return v
}

// AllocName returns the canonical allocation name.
func AllocName(job, group string, index int) string {
	return job + "." + group + "[" + itoa(index) + "]"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		p--
		b[p] = '-'
	}
	return string(b[p:])
}

// AllocListStub is the short form of an allocation used in lists.
type AllocListStub struct {
	ID                 string                `json:"ID"`
	EvalID             string                `json:"EvalID"`
	Name               string                `json:"Name"`
	Namespace          string                `json:"Namespace"`
	NodeID             string                `json:"NodeID"`
	NodeName           string                `json:"NodeName"`
	JobID              string                `json:"JobID"`
	JobType            string                `json:"JobType"`
	JobVersion         uint64                `json:"JobVersion"`
	TaskGroup          string                `json:"TaskGroup"`
	DesiredStatus      string                `json:"DesiredStatus"`
	DesiredDescription string                `json:"DesiredDescription"`
	ClientStatus       string                `json:"ClientStatus"`
	ClientDescription  string                `json:"ClientDescription"`
	TaskStates         map[string]*TaskState `json:"TaskStates"`
	FollowupEvalID     string                `json:"FollowupEvalID"`
	CreateIndex        uint64                `json:"CreateIndex"`
	ModifyIndex        uint64                `json:"ModifyIndex"`
	CreateTime         int64                 `json:"CreateTime"`
	ModifyTime         int64                 `json:"ModifyTime"`
	// DeploymentStatus is the allocation's health in its deployment.
	DeploymentStatus *AllocDeploymentStatus `json:"DeploymentStatus"`
}

// Stub returns the list form of the allocation.
func (a *Allocation) Stub() *AllocListStub {
	s := &AllocListStub{
		ID:                 a.ID,
		EvalID:             a.EvalID,
		Name:               a.Name,
		Namespace:          a.Namespace,
		NodeID:             a.NodeID,
		NodeName:           a.NodeName,
		JobID:              a.JobID,
		TaskGroup:          a.TaskGroup,
		DesiredStatus:      a.DesiredStatus,
		DesiredDescription: a.DesiredDescription,
		ClientStatus:       a.ClientStatus,
		ClientDescription:  a.ClientDescription,
		TaskStates:         a.TaskStates,
		FollowupEvalID:     a.FollowupEvalID,
		CreateIndex:        a.CreateIndex,
		ModifyIndex:        a.ModifyIndex,
		CreateTime:         a.CreateTime,
		ModifyTime:         a.ModifyTime,
		DeploymentStatus:   a.DeploymentStatus,
	}
	if a.Job != nil {
		s.JobType = a.Job.Type
		s.JobVersion = a.Job.Version
	}
	return s
}
