package server

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
)

// PlanJobResponse is the dry run of a job: what the scheduler would do.
type PlanJobResponse struct {
	// JobModifyIndex of the registered job (0 when new), for a check-index
	// register of exactly this plan.
	JobModifyIndex uint64
	// Annotations count the scheduler's decisions per task group.
	Annotations *nomadlike.PlanAnnotations
	// FailedTGAllocs explains the placements that would fail.
	FailedTGAllocs map[string]*nomadlike.AllocMetric
	// CreatedEvals are evaluations the run would create (e.g. blocked).
	CreatedEvals []*nomadlike.Evaluation
	// Plan is the plan the scheduler proposed (not committed).
	Plan *nomadlike.Plan
	// Diff is the change from the registered job; nil unless asked for.
	Diff *JobDiff
	// Index is the state index the dry run read.
	Index    uint64
	Warnings string
}

// Diff types and JobDiff are the domain's (nomadlike.Job.Diff); these
// names stay for the code that used the server's own diff.
const (
	DiffNone    = nomadlike.DiffTypeNone
	DiffAdded   = nomadlike.DiffTypeAdded
	DiffDeleted = nomadlike.DiffTypeDeleted
	DiffEdited  = nomadlike.DiffTypeEdited
)

// JobDiff is nomadlike.JobDiff.
type JobDiff = nomadlike.JobDiff

// PlanJob runs the scheduler for job on a snapshot of the current state
// with a planner that records instead of committing. It writes nothing.
func (s *Server) PlanJob(job *nomadlike.Job, diff bool) (*PlanJobResponse, error) {
	if job == nil {
		return nil, fmt.Errorf("plan job: %w: no job", nomadlike.ErrValidation)
	}
	cand := job.Copy()
	cand.Canonicalize()
	if err := cand.Validate(); err != nil {
		return nil, fmt.Errorf("plan job %s: %w", reqlimit.Quote(cand.ID), err)
	}
	if err := s.checkJobCount(cand); err != nil {
		return nil, fmt.Errorf("plan job %s: %w", reqlimit.Quote(cand.ID), err)
	}
	if err := s.checkNamespace(cand); err != nil {
		return nil, fmt.Errorf("plan job %s: %w", reqlimit.Quote(cand.ID), err)
	}
	configWarnings, err := s.checkDriverConfigs(cand) // driver config schemas (#20)
	if err != nil {
		return nil, fmt.Errorf("plan job %s: %w", reqlimit.Quote(cand.ID), err)
	}
	snap, err := s.fsm.State().Snapshot()
	if err != nil {
		return nil, err
	}
	latest, err := snap.LatestIndex()
	if err != nil {
		return nil, err
	}
	existing, err := snap.JobByID(cand.Namespace, cand.ID)
	if err != nil {
		return nil, err
	}
	// Give the candidate the identity the store would give it.
	resp := &PlanJobResponse{Index: latest}
	if existing != nil {
		resp.JobModifyIndex = existing.JobModifyIndex
		cand.CreateIndex = existing.CreateIndex
		cand.Version, cand.JobModifyIndex, cand.ModifyIndex = existing.Version, existing.JobModifyIndex, existing.ModifyIndex
		if cand.Rerun == nil && existing.Rerun != nil { // batch and CI: as the store keeps a rerun marker
			withRerun := cand.Copy()
			withRerun.Rerun = existing.Rerun.Copy()
			if !specChanged(existing, withRerun) {
				cand.Rerun = withRerun.Rerun
			}
		}
		if specChanged(existing, cand) {
			cand.Version++
			cand.JobModifyIndex, cand.ModifyIndex = latest+1, latest+1
		}
	} else {
		cand.CreateIndex, cand.ModifyIndex, cand.JobModifyIndex = latest+1, latest+1, latest+1
	}
	var launch string
	if cand.IsPeriodic() || cand.IsParameterized() {
		launch = "periodic and parameterized jobs are planned as registered; their children are scheduled when launched"
	}
	resp.Warnings = jobWarnings(cand, joinLines(launch, configWarnings))
	if diff {
		resp.Diff = diffJobs(existing, cand)
	}
	if cand.IsPeriodic() || cand.IsParameterized() {
		return resp, nil
	}

	eval := newEval(cand, nomadlike.EvalTriggerJobRegister)
	eval.AnnotatePlan = true
	rec := &recordingPlanner{}
	sched, err := scheduler.NewSchedulerWithConfig(cand.Type, &planState{State: snap, job: cand}, rec, s.schedulerConfig(snap))
	if err != nil {
		return nil, err
	}
	if err := sched.Process(eval); err != nil {
		return nil, fmt.Errorf("plan job %s: %w", reqlimit.Quote(cand.ID), err)
	}
	resp.CreatedEvals = rec.created
	if rec.plan != nil {
		resp.Plan = rec.plan
		resp.Annotations = rec.plan.Annotations
	}
	if rec.eval != nil {
		resp.FailedTGAllocs = rec.eval.FailedTGAllocs
	}
	return resp, nil
}

// planState is a snapshot in which the planned job replaces the stored one.
type planState struct {
	scheduler.State
	job *nomadlike.Job
}

func (p *planState) JobByID(ns, id string) (*nomadlike.Job, error) {
	if ns == p.job.Namespace && id == p.job.ID {
		return p.job, nil
	}
	return p.State.JobByID(ns, id)
}

// JobDeployments passes the snapshot's deployments through (deployments:
// the plan shows a rolling update's first batch, as the scheduler will).
func (p *planState) JobDeployments(ns, id string) ([]*nomadlike.Deployment, error) {
	if ds, ok := p.State.(scheduler.DeploymentState); ok {
		return ds.JobDeployments(ns, id)
	}
	return nil, nil
}

// recordingPlanner accepts every plan without committing it.
type recordingPlanner struct {
	plan    *nomadlike.Plan
	eval    *nomadlike.Evaluation
	created []*nomadlike.Evaluation
}

func (r *recordingPlanner) SubmitPlan(p *nomadlike.Plan) (*nomadlike.PlanResult, scheduler.State, error) {
	r.plan = p
	return &nomadlike.PlanResult{NodeUpdate: p.NodeUpdate, NodeAllocation: p.NodeAllocation}, nil, nil
}
func (r *recordingPlanner) UpdateEval(e *nomadlike.Evaluation) error { r.eval = e; return nil }
func (r *recordingPlanner) CreateEval(e *nomadlike.Evaluation) error {
	r.created = append(r.created, e)
	return nil
}
func (r *recordingPlanner) ReblockEval(e *nomadlike.Evaluation) error { r.eval = e; return nil }

// specFields returns the job as a JSON object without the fields the store
// manages (indexes, version, status, submit time).
func specFields(j *nomadlike.Job) map[string]json.RawMessage {
	c := j.Copy()
	c.Status, c.StatusDescription, c.Stable, c.Version, c.SubmitTime = "", "", false, 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	c.Outcome = nil // batch and CI: set by the store
	b, _ := json.Marshal(c)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}

func specChanged(old, cur *nomadlike.Job) bool {
	a, b := specFields(old), specFields(cur)
	if len(a) != len(b) {
		return true
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return true
		}
	}
	return false
}

// diffJobs is old.Diff(cur) (nomadlike.Job.Diff); old may be nil (a new
// job).
func diffJobs(old, cur *nomadlike.Job) *JobDiff { return old.Diff(cur) }
