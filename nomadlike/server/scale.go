package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// ScaleJob changes the count of one task group of a job, as Nomad's
// Job.Scale: a new version of the job with the group's count changed and an
// evaluation (trigger "job-scaling") that schedules it, checked as a
// register is (validation, job_max_count), and a scaling event recorded
// for the group with the previous count, the message, meta and the
// evaluation. A request with Error set and no count records the event
// only (evalID ""). Errors: nomadlike.ErrJobNotFound; a
// *nomadlike.ValidationError for a bad request, an unknown group or a
// count over job_max_count; ErrConflict for a stopped, periodic or
// parameterized job; ErrIndexMismatch when req.JobModifyIndex is set and
// stale. Nothing is written on an error. Returns after commit.
func (s *Server) ScaleJob(ns, jobID string, req nomadlike.ScaleRequest) (evalID string, index uint64, warnings string, err error) {
	if !s.IsLeader() {
		return "", 0, "", notLeader("scale job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	fail := func(err error) (string, uint64, string, error) {
		return "", 0, "", fmt.Errorf("scale job %s: %w", reqlimit.Quote(jobID), err)
	}
	if err := req.Check(); err != nil {
		return fail(err)
	}
	job, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return fail(err)
	}
	if job == nil {
		return fail(nomadlike.ErrJobNotFound)
	}
	tg := job.LookupTaskGroup(req.Group)
	if tg == nil {
		return fail(&nomadlike.ValidationError{Errors: []nomadlike.FieldError{{
			Path: "Target.Group", Message: fmt.Sprintf("job has no task group %s", reqlimit.Quote(req.Group))}}})
	}
	if req.JobModifyIndex != 0 && req.JobModifyIndex != job.JobModifyIndex {
		return fail(fmt.Errorf("%w: job modify index is %d, not %d", nomadlike.ErrIndexMismatch, job.JobModifyIndex, req.JobModifyIndex))
	}
	now := s.cfg.Clock.Now()
	msg := &fsm.JobScaleRequest{Namespace: ns, JobID: jobID, Group: req.Group, Event: &nomadlike.ScalingEvent{
		Time: uint64(now.UnixNano()), Count: req.Count, PreviousCount: int64(tg.Count),
		Message: req.Message, Error: req.Error, Meta: req.Meta,
	}}
	if req.Count != nil {
		switch {
		case job.Stop:
			return fail(fmt.Errorf("%w: the job is stopped; run it again before scaling it", nomadlike.ErrConflict))
		case job.IsPeriodic() || job.IsParameterized():
			return fail(fmt.Errorf("%w: a periodic or parameterized job launches child jobs and is not scaled", nomadlike.ErrConflict))
		}
		scaled := job.Copy()
		scaled.LookupTaskGroup(req.Group).Count = int(*req.Count)
		if err := scaled.Validate(); err != nil {
			return fail(err)
		}
		if err := s.checkJobCount(scaled); err != nil {
			return fail(err)
		}
		scaled.SubmitTime = now.UnixNano()
		msg.Job, msg.Eval = scaled, newEval(scaled, nomadlike.EvalTriggerJobScaling)
		msg.Event.EvalID = &msg.Eval.ID
		warnings = jobWarnings(scaled, "")
	}
	index, err = s.raftApply(fsm.JobScaleRequestType, msg)
	if err != nil {
		return fail(err)
	}
	if msg.Eval != nil {
		evalID = msg.Eval.ID
	}
	return evalID, index, warnings, nil
}
