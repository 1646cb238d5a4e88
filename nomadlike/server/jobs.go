package server

import (
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// RegisterJob canonicalizes, validates and stores a job with the evaluation
// that schedules it, and returns after commit. With enforceIndex the write
// only happens when the stored job's JobModifyIndex equals jobModifyIndex
// (0: the job must not exist); otherwise the error wraps
// nomadlike.ErrIndexMismatch. Periodic and parameterized parents get no
// evaluation (evalID is "").
func (s *Server) RegisterJob(job *nomadlike.Job, enforceIndex bool, jobModifyIndex uint64) (string, uint64, string, error) {
	if !s.IsLeader() {
		return "", 0, "", notLeader("register job")
	}
	if job == nil {
		return "", 0, "", fmt.Errorf("register job: %w: no job", nomadlike.ErrValidation)
	}
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return "", 0, "", fmt.Errorf("register job %q: %w", job.ID, err)
	}
	existing, err := s.fsm.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return "", 0, "", err
	}
	if enforceIndex {
		switch {
		case jobModifyIndex == 0 && existing != nil:
			return "", 0, "", fmt.Errorf("register job %q: %w: job exists at index %d", job.ID, nomadlike.ErrIndexMismatch, existing.JobModifyIndex)
		case jobModifyIndex != 0 && existing == nil:
			return "", 0, "", fmt.Errorf("register job %q: %w: job does not exist", job.ID, nomadlike.ErrIndexMismatch)
		case jobModifyIndex != 0 && existing.JobModifyIndex != jobModifyIndex:
			return "", 0, "", fmt.Errorf("register job %q: %w: job modify index is %d, not %d", job.ID, nomadlike.ErrIndexMismatch, existing.JobModifyIndex, jobModifyIndex)
		}
	}
	var warnings string
	if existing != nil && existing.Type != job.Type {
		return "", 0, "", fmt.Errorf("register job %q: %w: cannot change type from %s to %s", job.ID, nomadlike.ErrValidation, existing.Type, job.Type)
	}
	job.SubmitTime = time.Now().UnixNano()
	req := &fsm.JobRegisterRequest{Job: job}
	if !job.IsPeriodic() && !job.IsParameterized() {
		req.Eval = newEval(job, nomadlike.EvalTriggerJobRegister)
	} else {
		warnings = "periodic and parameterized jobs are not evaluated on register; dispatch or wait for the schedule"
	}
	index, err := s.raftApply(fsm.JobRegisterRequestType, req)
	if err != nil {
		return "", 0, "", fmt.Errorf("register job %q: %w", job.ID, err)
	}
	evalID := ""
	if req.Eval != nil {
		evalID = req.Eval.ID
	}
	return evalID, index, warnings, nil
}

// DeregisterJob stops a job (a new version with Stop set) or, with purge,
// deletes it; an evaluation then stops its allocations.
func (s *Server) DeregisterJob(ns, jobID string, purge bool) (string, uint64, error) {
	if !s.IsLeader() {
		return "", 0, notLeader("deregister job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	job, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		return "", 0, fmt.Errorf("deregister job %q: %w", jobID, nomadlike.ErrJobNotFound)
	}
	req := &fsm.JobDeregisterRequest{Namespace: ns, JobID: jobID, Purge: purge}
	if !job.IsPeriodic() && !job.IsParameterized() {
		req.Eval = newEval(job, nomadlike.EvalTriggerJobDeregister)
	}
	index, err := s.raftApply(fsm.JobDeregisterRequestType, req)
	if err != nil {
		return "", 0, fmt.Errorf("deregister job %q: %w", jobID, err)
	}
	if purge {
		s.blocked.Untrack(ns, jobID)
	}
	evalID := ""
	if req.Eval != nil {
		evalID = req.Eval.ID
	}
	return evalID, index, nil
}

// ForceEvaluate creates a new evaluation of a job.
func (s *Server) ForceEvaluate(ns, jobID string) (string, uint64, error) {
	if !s.IsLeader() {
		return "", 0, notLeader("evaluate job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	job, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		return "", 0, fmt.Errorf("evaluate job %q: %w", jobID, nomadlike.ErrJobNotFound)
	}
	if job.IsPeriodic() || job.IsParameterized() {
		return "", 0, fmt.Errorf("evaluate job %q: %w: periodic and parameterized jobs are launched, not evaluated", jobID, nomadlike.ErrConflict)
	}
	eval := newEval(job, nomadlike.EvalTriggerJobRegister)
	index, err := s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*nomadlike.Evaluation{eval}})
	if err != nil {
		return "", 0, fmt.Errorf("evaluate job %q: %w", jobID, err)
	}
	return eval.ID, index, nil
}
