package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// DispatchJob runs a parameterized job once: it checks req against the
// job's parameterized block (payload required, optional or forbidden; meta
// keys required or optional, no others), then registers the child job
// "<job>/dispatch-..." with its evaluation and returns after commit. The
// child's create index and the evaluation's are the returned index. A
// request that breaks the rules gets an error wrapping a
// *nomadlike.ValidationError that names each wrong field; a job that is not
// parameterized nomadlike.ErrValidation, a stopped one
// nomadlike.ErrConflict, a missing one nomadlike.ErrJobNotFound.
func (s *Server) DispatchJob(ns, jobID string, req nomadlike.DispatchRequest) (childID, evalID string, index uint64, err error) {
	if !s.IsLeader() {
		return "", "", 0, notLeader("dispatch job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	parent, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return "", "", 0, err
	}
	switch {
	case parent == nil:
		return "", "", 0, fmt.Errorf("dispatch job %s: %w", reqlimit.Quote(jobID), nomadlike.ErrJobNotFound)
	case parent.Stop:
		return "", "", 0, fmt.Errorf("dispatch job %s: %w: the job is stopped; run it again first", reqlimit.Quote(jobID), nomadlike.ErrConflict)
	}
	child, err := parent.Dispatch(req, s.cfg.Clock.Now())
	if err != nil {
		return "", "", 0, fmt.Errorf("dispatch job %s: %w", reqlimit.Quote(jobID), err)
	}
	if err := child.Validate(); err != nil {
		return "", "", 0, fmt.Errorf("dispatch job %s: child %s: %w", reqlimit.Quote(jobID), reqlimit.Quote(child.ID), err)
	}
	if err := s.checkJobCount(child); err != nil {
		return "", "", 0, fmt.Errorf("dispatch job %s: %w", reqlimit.Quote(jobID), err)
	}
	eval := newEval(child, nomadlike.EvalTriggerJobRegister)
	index, err = s.raftApply(fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: child, Eval: eval})
	if err != nil {
		return "", "", 0, fmt.Errorf("dispatch job %s: %w", reqlimit.Quote(jobID), err)
	}
	return child.ID, eval.ID, index, nil
}
