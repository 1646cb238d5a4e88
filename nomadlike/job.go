package nomadlike

import "time"

// Job types.
const (
	JobTypeService  = "service"
	JobTypeBatch    = "batch"
	JobTypeSystem   = "system"
	JobTypeSysBatch = "sysbatch"
)

// Job statuses.
const (
	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"
)

// Defaults applied by Canonicalize.
const (
	DefaultRegion     = "global"
	DefaultNamespace  = "default"
	DefaultNodePool   = "default"
	DefaultPriority   = 50
	MinPriority       = 1
	MaxPriority       = 100
	DispatchIDPrefix  = "/dispatch-"
	PeriodicIDPrefix  = "/periodic-"
	DefaultKillSignal = "SIGINT"
)

// Job is the unit a user submits: one or more task groups and the rules for
// placing and running them.
type Job struct {
	Region      string          `json:"Region"`
	Namespace   string          `json:"Namespace"`
	ID          string          `json:"ID"`
	ParentID    string          `json:"ParentID"`
	Name        string          `json:"Name"`
	Type        string          `json:"Type"`
	Priority    int             `json:"Priority"`
	AllAtOnce   bool            `json:"AllAtOnce"`
	Datacenters []string        `json:"Datacenters"`
	NodePool    string          `json:"NodePool"`
	Constraints []*Constraint   `json:"Constraints"`
	Affinities  []*Affinity     `json:"Affinities"`
	Spreads     []*Spread       `json:"Spreads"`
	TaskGroups  []*TaskGroup    `json:"TaskGroups"`
	Update      *UpdateStrategy `json:"Update"`
	// Migrate is the default of every group's migrate block (migrate.go).
	Migrate          *MigrateStrategy        `json:"Migrate,omitempty"`
	Periodic         *PeriodicConfig         `json:"Periodic"`
	ParameterizedJob *ParameterizedJobConfig `json:"ParameterizedJob"`
	Dispatched       bool                    `json:"Dispatched"`
	Payload          []byte                  `json:"Payload"`
	Meta             map[string]string       `json:"Meta"`
	Stop             bool                    `json:"Stop"`

	Status            string `json:"Status"`
	StatusDescription string `json:"StatusDescription"`
	Stable            bool   `json:"Stable"`
	Version           uint64 `json:"Version"`
	SubmitTime        int64  `json:"SubmitTime"`
	CreateIndex       uint64 `json:"CreateIndex"`
	ModifyIndex       uint64 `json:"ModifyIndex"`
	JobModifyIndex    uint64 `json:"JobModifyIndex"`

	// Outcome and Rerun are nomadlike's (batch and CI, outcome.go, rerun.go).
	Outcome *JobOutcome `json:"Outcome,omitempty"`
	Rerun   *JobRerun   `json:"Rerun,omitempty"`

	// DependsOn and SkipReason are nomadlike's job-level depends_on
	// (pipeline_jobs.go): the jobs this one waits for, and why it was
	// skipped when one of them finished without its condition.
	DependsOn  []*JobDependency `json:"DependsOn,omitempty"`
	SkipReason string           `json:"SkipReason,omitempty"`
}

// TaskGroup is a set of tasks placed together on one node; Count copies of it run.
type TaskGroup struct {
	Name   string          `json:"Name"`
	Count  int             `json:"Count"`
	Update *UpdateStrategy `json:"Update"`
	// Migrate paces node drains for service groups (migrate.go).
	Migrate          *MigrateStrategy          `json:"Migrate,omitempty"`
	Constraints      []*Constraint             `json:"Constraints"`
	Affinities       []*Affinity               `json:"Affinities"`
	Spreads          []*Spread                 `json:"Spreads"`
	RestartPolicy    *RestartPolicy            `json:"RestartPolicy"`
	ReschedulePolicy *ReschedulePolicy         `json:"ReschedulePolicy"`
	EphemeralDisk    *EphemeralDisk            `json:"EphemeralDisk"`
	Networks         []*NetworkResource        `json:"Networks"`
	Services         []*Service                `json:"Services"`
	Volumes          map[string]*VolumeRequest `json:"Volumes"`
	Tasks            []*Task                   `json:"Tasks"`
	Meta             map[string]string         `json:"Meta"`
	ShutdownDelay    *time.Duration            `json:"ShutdownDelay"`
	// Scaling is the group's scaling block (scaling_policy.go): the
	// bounds of its count and the built-in autoscaler's policy.
	Scaling *ScalingPolicy `json:"Scaling,omitempty"`
	// DependsOn is nomadlike's (batch jobs only): the group is placed only
	// when every listed group finished with its condition (see pipeline.go).
	DependsOn []*GroupDependency `json:"DependsOn,omitempty"`
}

// Task is one process run by a driver.
type Task struct {
	Name            string                 `json:"Name"`
	Driver          string                 `json:"Driver"`
	User            string                 `json:"User"`
	Config          map[string]any         `json:"Config"`
	Env             map[string]string      `json:"Env"`
	Services        []*Service             `json:"Services"`
	Templates       []*Template            `json:"Templates"`
	Constraints     []*Constraint          `json:"Constraints"`
	Affinities      []*Affinity            `json:"Affinities"`
	Resources       *Resources             `json:"Resources"`
	RestartPolicy   *RestartPolicy         `json:"RestartPolicy"`
	DispatchPayload *DispatchPayloadConfig `json:"DispatchPayload"`
	Lifecycle       *TaskLifecycleConfig   `json:"Lifecycle"`
	// Identity is the task's identity block (variable_keyring.go).
	Identity      *WorkloadIdentity `json:"Identity,omitempty"`
	Meta          map[string]string `json:"Meta"`
	KillTimeout   time.Duration     `json:"KillTimeout"`
	LogConfig     *LogConfig        `json:"LogConfig"`
	Artifacts     []*TaskArtifact   `json:"Artifacts"`
	Leader        bool              `json:"Leader"`
	ShutdownDelay time.Duration     `json:"ShutdownDelay"`
	VolumeMounts  []*VolumeMount    `json:"VolumeMounts"`
	KillSignal    string            `json:"KillSignal"`
}

// LookupTaskGroup returns the named task group or nil.
func (j *Job) LookupTaskGroup(name string) *TaskGroup {
	for _, tg := range j.TaskGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

// LookupTask returns the named task or nil.
func (tg *TaskGroup) LookupTask(name string) *Task {
	for _, t := range tg.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// IsPeriodic reports whether the job is a periodic parent: it is never run
// itself, the servers launch children of it. A disabled schedule still makes
// it one (paused, not run), as in Nomad.
func (j *Job) IsPeriodic() bool { return j.Periodic != nil }

// IsPeriodicActive reports whether the servers launch children of the job:
// it is periodic, its schedule is enabled and the job is not stopped.
func (j *Job) IsPeriodicActive() bool { return j.IsPeriodic() && j.Periodic.Enabled && !j.Stop }

// IsParameterized reports whether the job is a parameterized parent that is
// only run through dispatch.
func (j *Job) IsParameterized() bool { return j.ParameterizedJob != nil && !j.Dispatched }

// NamespacedID identifies an object within a namespace.
type NamespacedID struct {
	ID        string
	Namespace string
}

// NamespacedID returns the job's namespaced ID.
func (j *Job) NamespacedID() NamespacedID {
	return NamespacedID{ID: j.ID, Namespace: j.Namespace}
}

// TotalCount is the number of allocations the job asks for across groups.
func (j *Job) TotalCount() int {
	n := 0
	for _, tg := range j.TaskGroups {
		n += tg.Count
	}
	return n
}

// ComparableResources returns the resources one allocation of the group asks
// for: the sum of its tasks (prestart tasks that are not sidecars run before
// the main tasks, but Nomad reserves them too) plus the group's disk.
func (tg *TaskGroup) ComparableResources() ComparableResources {
	var c ComparableResources
	for _, t := range tg.Tasks {
		if t.Resources == nil {
			continue
		}
		c.CPU += int64(t.Resources.CPU)
		c.MemoryMB += int64(t.Resources.MemoryMB)
	}
	if tg.EphemeralDisk != nil {
		c.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	return c
}

// JobSummary counts a job's allocations by state per task group.
type JobSummary struct {
	JobID       string                      `json:"JobID"`
	Namespace   string                      `json:"Namespace"`
	Summary     map[string]TaskGroupSummary `json:"Summary"`
	Children    *JobChildrenSummary         `json:"Children"`
	Outcome     *JobOutcome                 `json:"Outcome,omitempty"` // nomadlike's: the job's Outcome
	CreateIndex uint64                      `json:"CreateIndex"`
	ModifyIndex uint64                      `json:"ModifyIndex"`
}

// TaskGroupSummary counts one group's allocations by client state.
type TaskGroupSummary struct {
	Queued   int `json:"Queued"`
	Complete int `json:"Complete"`
	Failed   int `json:"Failed"`
	Running  int `json:"Running"`
	Starting int `json:"Starting"`
	Lost     int `json:"Lost"`
	Unknown  int `json:"Unknown"`
}

// JobChildrenSummary counts the children of periodic and parameterized jobs.
type JobChildrenSummary struct {
	Pending int64 `json:"Pending"`
	Running int64 `json:"Running"`
	Dead    int64 `json:"Dead"`
}

// JobListStub is the short form of a job returned by GET /v1/jobs.
type JobListStub struct {
	ID                string      `json:"ID"`
	ParentID          string      `json:"ParentID"`
	Name              string      `json:"Name"`
	Namespace         string      `json:"Namespace"`
	Datacenters       []string    `json:"Datacenters"`
	NodePool          string      `json:"NodePool"`
	Type              string      `json:"Type"`
	Priority          int         `json:"Priority"`
	Periodic          bool        `json:"Periodic"`
	ParameterizedJob  bool        `json:"ParameterizedJob"`
	Stop              bool        `json:"Stop"`
	Status            string      `json:"Status"`
	StatusDescription string      `json:"StatusDescription"`
	JobSummary        *JobSummary `json:"JobSummary"`
	Outcome           *JobOutcome `json:"Outcome,omitempty"` // nomadlike's: the job's Outcome
	CreateIndex       uint64      `json:"CreateIndex"`
	ModifyIndex       uint64      `json:"ModifyIndex"`
	JobModifyIndex    uint64      `json:"JobModifyIndex"`
	SubmitTime        int64       `json:"SubmitTime"`
}

// Stub returns the list form of the job.
func (j *Job) Stub(summary *JobSummary) *JobListStub {
	return &JobListStub{
		ID:                j.ID,
		ParentID:          j.ParentID,
		Name:              j.Name,
		Namespace:         j.Namespace,
		Datacenters:       j.Datacenters,
		NodePool:          j.NodePool,
		Type:              j.Type,
		Priority:          j.Priority,
		Periodic:          j.IsPeriodic(),
		ParameterizedJob:  j.IsParameterized(),
		Stop:              j.Stop,
		Status:            j.Status,
		StatusDescription: j.StatusDescription,
		JobSummary:        summary,
		Outcome:           j.Outcome,
		CreateIndex:       j.CreateIndex,
		ModifyIndex:       j.ModifyIndex,
		JobModifyIndex:    j.JobModifyIndex,
		SubmitTime:        j.SubmitTime,
	}
}
