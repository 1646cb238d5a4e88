package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// maxForceAttempts bounds how many later seconds ForcePeriodic tries when
// the child of the current second already exists.
const maxForceAttempts = 5

// ForcePeriodic launches a child of a periodic job now, whatever its
// schedule and prohibit_overlap say, and returns the child's evaluation
// after commit. The launch is recorded like a scheduled one, so the next
// scheduled launch is the first after now. A job that is not periodic gets
// an error wrapping nomadlike.ErrValidation, a stopped one
// nomadlike.ErrConflict, a missing one nomadlike.ErrJobNotFound.
func (s *Server) ForcePeriodic(ns, jobID string) (string, uint64, error) {
	if !s.IsLeader() {
		return "", 0, notLeader("force periodic launch")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	st := s.fsm.State()
	job, err := st.JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	switch {
	case job == nil:
		return "", 0, fmt.Errorf("force launch of job %q: %w", jobID, nomadlike.ErrJobNotFound)
	case !job.IsPeriodic():
		return "", 0, fmt.Errorf("force launch of job %q: %w: not a periodic job", jobID, nomadlike.ErrValidation)
	case job.Stop:
		return "", 0, fmt.Errorf("force launch of job %q: %w: the job is stopped; run it again first", jobID, nomadlike.ErrConflict)
	}
	t := s.cfg.Clock.Now().Truncate(time.Second)
	for attempt := 1; ; attempt++ {
		// Children are named by the second: a second launch within the
		// same second takes the next free one.
		existing, err := st.JobByID(nil, ns, nomadlike.PeriodicChildID(jobID, t))
		if err != nil {
			return "", 0, err
		}
		if existing == nil {
			evalID, index, err := s.launchPeriodic(job, t)
			if err == nil {
				return evalID, index, nil
			}
			if !errors.Is(err, nomadlike.ErrConflict) || attempt >= maxForceAttempts {
				return "", 0, fmt.Errorf("force launch of job %q: %w", jobID, err)
			}
		} else if attempt >= maxForceAttempts {
			return "", 0, fmt.Errorf("force launch of job %q: %w: %d launches in the last seconds; try again later", jobID, nomadlike.ErrConflict, attempt)
		}
		t = t.Add(time.Second)
	}
}

// launchPeriodic writes, in one raft entry, the child of job launched at t,
// its evaluation and the launch record. The FSM refuses a child that exists
// (an error wrapping nomadlike.ErrConflict).
func (s *Server) launchPeriodic(job *nomadlike.Job, t time.Time) (string, uint64, error) {
	child := job.PeriodicChild(t)
	eval := newEval(child, nomadlike.EvalTriggerPeriodicJob)
	index, err := s.raftApply(fsm.PeriodicLaunchRequestType, &fsm.PeriodicLaunchRequest{
		Launch: &nomadlike.PeriodicLaunch{ID: job.ID, Namespace: job.Namespace, Launch: t},
		Job:    child,
		Eval:   eval,
	})
	if err != nil {
		return "", 0, err
	}
	return eval.ID, index, nil
}
