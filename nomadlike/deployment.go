package nomadlike

import (
	"sort"
	"strconv"
	"time"
)

// Deployment statuses (Nomad's).
const (
	DeploymentStatusRunning    = "running"
	DeploymentStatusPaused     = "paused"
	DeploymentStatusFailed     = "failed"
	DeploymentStatusSuccessful = "successful"
	DeploymentStatusCancelled  = "cancelled"
	DeploymentStatusBlocked    = "blocked"
	DeploymentStatusUnblocking = "unblocking"
	DeploymentStatusPending    = "pending"
)

// Deployment status descriptions (Nomad's wording).
const (
	DeploymentDescRunning              = "Deployment is running"
	DeploymentDescRunningNeedsPromote  = "Deployment is running but requires manual promotion"
	DeploymentDescRunningAutoPromotion = "Deployment is running pending automatic promotion"
	DeploymentDescPaused               = "Deployment is paused"
	DeploymentDescSuccessful           = "Deployment completed successfully"
	DeploymentDescStoppedJob           = "Cancelled because job is stopped"
	DeploymentDescNewerJob             = "Cancelled due to newer version of job"
	DeploymentDescFailedAllocations    = "Failed due to unhealthy allocations"
	DeploymentDescProgressDeadline     = "Failed due to progress deadline"
	DeploymentDescFailedByUser         = "Deployment marked as failed"
)

// Update health check modes (update block health_check).
const (
	UpdateHealthCheckChecks     = "checks"
	UpdateHealthCheckTaskStates = "task_states"
	UpdateHealthCheckManual     = "manual"
)

// EvalTriggerDeploymentWatcher marks the evaluations the deployment
// watcher creates to move a rollout on (Nomad's "deployment-watcher").
const EvalTriggerDeploymentWatcher = "deployment-watcher"

// Deployment is the rollout of one version of a service job whose groups
// have an update block: the servers replace allocations max_parallel at a
// time, waiting for the new ones to be healthy, and track the progress per
// group. JSON as Nomad's api.Deployment.
type Deployment struct {
	ID                 string                      `json:"ID"`
	Namespace          string                      `json:"Namespace"`
	JobID              string                      `json:"JobID"`
	JobVersion         uint64                      `json:"JobVersion"`
	JobModifyIndex     uint64                      `json:"JobModifyIndex"`
	JobSpecModifyIndex uint64                      `json:"JobSpecModifyIndex"`
	JobCreateIndex     uint64                      `json:"JobCreateIndex"`
	IsMultiregion      bool                        `json:"IsMultiregion"`
	TaskGroups         map[string]*DeploymentState `json:"TaskGroups"`
	Status             string                      `json:"Status"`
	StatusDescription  string                      `json:"StatusDescription"`
	CreateIndex        uint64                      `json:"CreateIndex"`
	ModifyIndex        uint64                      `json:"ModifyIndex"`
	CreateTime         int64                       `json:"CreateTime"`
	ModifyTime         int64                       `json:"ModifyTime"`
}

// DeploymentState is the progress of one task group in a deployment.
type DeploymentState struct {
	AutoRevert        bool          `json:"AutoRevert"`
	AutoPromote       bool          `json:"AutoPromote"`
	ProgressDeadline  time.Duration `json:"ProgressDeadline"`
	RequireProgressBy time.Time     `json:"RequireProgressBy"`
	Promoted          bool          `json:"Promoted"`
	PlacedCanaries    []string      `json:"PlacedCanaries"`
	DesiredCanaries   int           `json:"DesiredCanaries"`
	DesiredTotal      int           `json:"DesiredTotal"`
	PlacedAllocs      int           `json:"PlacedAllocs"`
	HealthyAllocs     int           `json:"HealthyAllocs"`
	UnhealthyAllocs   int           `json:"UnhealthyAllocs"`
}

// DeploymentStatusUpdate changes a deployment's status.
type DeploymentStatusUpdate struct {
	DeploymentID      string `json:"DeploymentID"`
	Status            string `json:"Status"`
	StatusDescription string `json:"StatusDescription"`
}

// UpdateDeploys reports whether the group's update block asks for
// deployments: a service job's group with an update block whose
// max_parallel is above 0 (max_parallel = 0 turns them off, as in Nomad).
func UpdateDeploys(job *Job, tg *TaskGroup) bool {
	return job != nil && job.Type == JobTypeService && tg != nil && tg.Update != nil && tg.Update.MaxParallel > 0
}

// NewDeployment returns a running deployment of job's current version,
// with a state for every group that deploys (see UpdateDeploys).
func NewDeployment(job *Job, now time.Time) *Deployment {
	d := &Deployment{
		ID:                 GenerateUUID(),
		Namespace:          job.Namespace,
		JobID:              job.ID,
		JobVersion:         job.Version,
		JobModifyIndex:     job.ModifyIndex,
		JobSpecModifyIndex: job.JobModifyIndex,
		JobCreateIndex:     job.CreateIndex,
		TaskGroups:         map[string]*DeploymentState{},
		Status:             DeploymentStatusRunning,
		StatusDescription:  DeploymentDescRunning,
		CreateTime:         now.UnixNano(),
		ModifyTime:         now.UnixNano(),
	}
	for _, tg := range job.TaskGroups {
		if !UpdateDeploys(job, tg) {
			continue
		}
		d.TaskGroups[tg.Name] = &DeploymentState{
			AutoRevert:       tg.Update.AutoRevert,
			AutoPromote:      tg.Update.AutoPromote,
			ProgressDeadline: tg.Update.ProgressDeadline,
			DesiredTotal:     tg.Count,
		}
	}
	return d
}

// RunningDescription returns the description of a running deployment:
// whether it waits for a (manual or automatic) promotion.
func (d *Deployment) RunningDescription() string {
	switch {
	case !d.RequiresPromotion():
		return DeploymentDescRunning
	case d.HasAutoPromote():
		return DeploymentDescRunningAutoPromotion
	}
	return DeploymentDescRunningNeedsPromote
}

// Active reports whether the deployment may still make progress.
func (d *Deployment) Active() bool {
	if d == nil {
		return false
	}
	switch d.Status {
	case DeploymentStatusRunning, DeploymentStatusPaused, DeploymentStatusBlocked,
		DeploymentStatusUnblocking, DeploymentStatusPending:
		return true
	}
	return false
}

// ForJob reports whether d deploys job's current version.
func (d *Deployment) ForJob(job *Job) bool {
	return d != nil && job != nil && d.Namespace == job.Namespace && d.JobID == job.ID &&
		d.JobVersion == job.Version && d.JobCreateIndex == job.CreateIndex
}

// RequiresPromotion reports whether a group has canaries not yet promoted.
func (d *Deployment) RequiresPromotion() bool {
	for _, g := range d.TaskGroups {
		if g.DesiredCanaries > 0 && !g.Promoted {
			return true
		}
	}
	return false
}

// HasAutoPromote reports whether every group with canaries promotes
// itself (and there is one).
func (d *Deployment) HasAutoPromote() bool {
	any := false
	for _, g := range d.TaskGroups {
		if g.DesiredCanaries == 0 {
			continue
		}
		if !g.AutoPromote {
			return false
		}
		any = true
	}
	return any
}

// HasAutoRevert reports whether a group reverts the job when the
// deployment fails.
func (d *Deployment) HasAutoRevert() bool {
	for _, g := range d.TaskGroups {
		if g.AutoRevert {
			return true
		}
	}
	return false
}

// GroupNames returns the deployment's group names, sorted.
func (d *Deployment) GroupNames() []string {
	out := make([]string, 0, len(d.TaskGroups))
	for n := range d.TaskGroups {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Copy returns a deep copy of d.
func (d *Deployment) Copy() *Deployment {
	if d == nil {
		return nil
	}
	c := *d
	c.TaskGroups = make(map[string]*DeploymentState, len(d.TaskGroups))
	for n, g := range d.TaskGroups {
		gc := *g
		gc.PlacedCanaries = append([]string(nil), g.PlacedCanaries...)
		c.TaskGroups[n] = &gc
	}
	return &c
}

// DeploymentStatusDescriptionRollback is the description of a failed
// deployment that auto_revert rolls back to version.
func DeploymentStatusDescriptionRollback(base string, version uint64) string {
	return base + " - rolling back to job version " + strconv.FormatUint(version, 10)
}

// DeploymentStatusDescriptionNoRollback is the description of a failed
// deployment with auto_revert and no stable version to go back to.
func DeploymentStatusDescriptionNoRollback(base string) string {
	return base + " - no stable job version to auto revert to"
}
