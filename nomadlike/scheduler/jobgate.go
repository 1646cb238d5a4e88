package scheduler

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/reconcile"
)

// ChildJobsState is an optional capability of State: the children of a
// job (periodic launches and dispatches). The scheduler needs it to hold a
// dispatched child back while its parent's max_concurrent is used up; a
// State without it does not enforce the limit.
type ChildJobsState interface {
	// DispatchAdmitted reports whether the child is among the first limit
	// live dispatched children of the parent in dispatch order
	// (nomadlike.DispatchAdmitted); the state store answers from an index
	// of that line, reading at most limit rows.
	DispatchAdmitted(namespace, parentID, childID string, limit int) (bool, error)
	// LiveChildren counts the children that are not dead (it may count
	// stopped ones too): when they fit in the limit, every child is
	// admitted without listing them.
	LiveChildren(namespace, parentID string) (int64, error)
}

// jobHeld reports whether job as a whole must wait before new placements:
// its job-level depends_on is not met (waiting, or to be skipped by the
// leader), or it is a dispatched child beyond its parent's max_concurrent
// line.
func (s *genericScheduler) jobHeld(job *nomadlike.Job) (bool, error) {
	if job == nil || job.Stop {
		return false, nil
	}
	if len(job.DependsOn) > 0 {
		var err error
		st := nomadlike.JobDependencies(job, func(ns, id string) *nomadlike.Job {
			j, e := s.state.JobByID(ns, id)
			if e != nil {
				err = e
			}
			return j
		})
		if err != nil {
			return false, fmt.Errorf("read job dependencies of %q: %w", job.ID, err)
		}
		if st.State != nomadlike.JobDepsMet {
			return true, nil
		}
	}
	if !job.Dispatched || job.ParentID == "" {
		return false, nil
	}
	cs, ok := childJobsOf(s.state)
	if !ok {
		return false, nil
	}
	parent, err := s.state.JobByID(job.Namespace, job.ParentID)
	if err != nil {
		return false, fmt.Errorf("read parent job %q: %w", job.ParentID, err)
	}
	if parent.MaxConcurrent() <= 0 {
		return false, nil
	}
	live, err := cs.LiveChildren(job.Namespace, job.ParentID)
	if err != nil {
		return false, fmt.Errorf("read children summary of %q: %w", job.ParentID, err)
	}
	if live <= int64(parent.MaxConcurrent()) {
		return false, nil
	}
	admitted, err := cs.DispatchAdmitted(job.Namespace, job.ParentID, job.ID, parent.MaxConcurrent())
	if err != nil {
		return false, fmt.Errorf("read the dispatch line of %q: %w", job.ParentID, err)
	}
	return !admitted, nil
}

// holdJob drops the new placements of r when the job must wait (see
// jobHeld).
func (s *genericScheduler) holdJob(job *nomadlike.Job, r *reconcile.Result) error {
	held, err := s.jobHeld(job)
	if err != nil || !held {
		return err
	}
	reconcile.HoldNew(r)
	return nil
}

// childJobsOf finds the ChildJobsState capability of st, looking through
// the usage cache's wrapper.
func childJobsOf(st State) (ChildJobsState, bool) {
	if w, ok := st.(*cachedUsageState); ok {
		st = w.State
	}
	cs, ok := st.(ChildJobsState)
	return cs, ok
}
