package deploywatch

import (
	"errors"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// ErrNotActive is returned when an action needs an active deployment.
var ErrNotActive = errors.New("deployment is not active")

// ErrNotMultiregion is the answer of unblock: nomadlike has no multiregion
// deployments.
var ErrNotMultiregion = errors.New("deployment is not multiregion")

// NewEval returns a pending evaluation of job triggered by the watcher.
func NewEval(job *nomadlike.Job, now time.Time) *nomadlike.Evaluation {
	return &nomadlike.Evaluation{
		ID: nomadlike.GenerateUUID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: nomadlike.EvalTriggerDeploymentWatcher, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: nomadlike.EvalStatusPending, CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
	}
}

// FailRequest is the request that fails deployment d with description
// desc: with auto_revert (and revert true) it also registers the latest
// stable version of the job older than d's as a new version; an evaluation
// of the job follows either way.
func FailRequest(st *state.StateStore, d *nomadlike.Deployment, desc string, revert bool, now time.Time) (*state.DeploymentStatusRequest, error) {
	if !d.Active() {
		return nil, fmt.Errorf("%w: deployment %q is %s", ErrNotActive, d.ID, d.Status)
	}
	job, err := st.JobByID(nil, d.Namespace, d.JobID)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("job %q of deployment %q: %w", d.JobID, d.ID, nomadlike.ErrJobNotFound)
	}
	req := &state.DeploymentStatusRequest{Update: &nomadlike.DeploymentStatusUpdate{
		DeploymentID: d.ID, Status: nomadlike.DeploymentStatusFailed, StatusDescription: desc,
	}}
	if revert && d.HasAutoRevert() {
		stable, err := latestStable(st, d)
		if err != nil {
			return nil, err
		}
		if stable == nil {
			req.Update.StatusDescription = nomadlike.DeploymentStatusDescriptionNoRollback(desc)
		} else {
			req.Update.StatusDescription = nomadlike.DeploymentStatusDescriptionRollback(desc, stable.Version)
			req.Job = RevertJob(stable, now)
			job = req.Job
		}
	}
	req.Eval = NewEval(job, now)
	return req, nil
}

// latestStable returns the newest stable version of d's job older than
// d's version, or nil.
func latestStable(st *state.StateStore, d *nomadlike.Deployment) (*nomadlike.Job, error) {
	versions, err := st.JobVersionsByID(nil, d.Namespace, d.JobID)
	if err != nil {
		return nil, err
	}
	for _, v := range versions { // newest first
		if v.Version < d.JobVersion && v.Stable {
			return v, nil
		}
	}
	return nil, nil
}

// RevertJob returns version v of a job ready to register again as the
// newest version (as Nomad's revert does: a new version with v's spec).
func RevertJob(v *nomadlike.Job, now time.Time) *nomadlike.Job {
	j := v.Copy()
	j.Stable = false
	j.Stop = false
	j.SubmitTime = now.UnixNano()
	return j
}

// PauseRequest pauses (pause true) or resumes a deployment.
func PauseRequest(d *nomadlike.Deployment, pause bool, job *nomadlike.Job, now time.Time) (*state.DeploymentStatusRequest, error) {
	if !d.Active() {
		return nil, fmt.Errorf("%w: can't pause or resume deployment %q with status %q", ErrNotActive, d.ID, d.Status)
	}
	u := &nomadlike.DeploymentStatusUpdate{DeploymentID: d.ID, Status: nomadlike.DeploymentStatusPaused,
		StatusDescription: nomadlike.DeploymentDescPaused}
	req := &state.DeploymentStatusRequest{Update: u}
	if !pause {
		u.Status, u.StatusDescription = nomadlike.DeploymentStatusRunning, d.RunningDescription()
		if job != nil {
			req.Eval = NewEval(job, now)
		}
	}
	return req, nil
}
