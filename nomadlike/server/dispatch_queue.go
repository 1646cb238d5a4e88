package server

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
)

// dispatchQueueSweep is how often the leader checks every parameterized job
// with max_concurrent for admitted children that wait without an
// evaluation (a slot freed while leadership changed hands), and every job
// waiting on job-level depends_on.
const dispatchQueueSweep = 5 * time.Second

// finishedJobs collects, from a client update, the jobs whose allocations
// finished and the parents of finished dispatched children: a job that
// finished may let its job-level dependents run (job_deps.go), a finished
// child frees a slot of its parent's max_concurrent.
type finishedJobs struct {
	jobs, parents map[nomadlike.NamespacedID]bool
}

func (f *finishedJobs) note(a *nomadlike.Allocation) {
	if f.jobs == nil {
		f.jobs, f.parents = map[nomadlike.NamespacedID]bool{}, map[nomadlike.NamespacedID]bool{}
	}
	f.jobs[nomadlike.NamespacedID{Namespace: a.Namespace, ID: a.JobID}] = true
	if a.Job != nil && a.Job.Dispatched && a.Job.ParentID != "" {
		f.parents[nomadlike.NamespacedID{Namespace: a.Namespace, ID: a.Job.ParentID}] = true
	}
}

// kickQueues, in the background, starts the children of the parents that
// a freed slot admits (startAdmitted) and settles the dependents of the
// jobs that are now dead (settleDependents).
func (s *Server) kickQueues(f finishedJobs) {
	if len(f.jobs) == 0 {
		return
	}
	go func() {
		for key := range f.parents {
			s.startAdmitted(key.Namespace, key.ID)
		}
		if !s.jobDepsUsed.Load() {
			return // no job-level depends_on seen: no dependents to settle
		}
		dead := map[string][]string{} // namespace → jobs now dead
		for key := range f.jobs {
			if j := s.lookupJob(key.Namespace, key.ID); j != nil && j.Status == nomadlike.JobStatusDead {
				dead[key.Namespace] = append(dead[key.Namespace], key.ID)
			}
		}
		for ns, ids := range dead {
			s.settleDependentsOf(ns, ids)
		}
	}()
}

// startAdmitted writes an evaluation for every child of the parent that its
// max_concurrent admits but that has neither an allocation nor an open
// evaluation. The scheduler decides admission again from its own snapshot,
// so an extra evaluation never runs a child early.
func (s *Server) startAdmitted(ns, parentID string) {
	evals, err := s.dispatchQueueEvals(ns, parentID)
	if err != nil {
		s.logger.Warn("dispatch queue", "job", parentID, "error", err)
		return
	}
	if len(evals) == 0 {
		return
	}
	if _, err := s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals}); err != nil {
		s.logger.Warn("start queued dispatched children", "job", parentID, "error", err)
	}
}

func (s *Server) dispatchQueueEvals(ns, parentID string) ([]*nomadlike.Evaluation, error) {
	st := s.fsm.State()
	parent, err := st.JobByID(nil, ns, parentID)
	if err != nil || parent == nil || parent.Stop {
		return nil, err
	}
	limit := parent.MaxConcurrent()
	if limit <= 0 {
		return nil, nil
	}
	admitted, err := st.DispatchLine(nil, ns, parentID, limit) // the line's head, from its index
	if err != nil {
		return nil, err
	}
	var out []*nomadlike.Evaluation
	for _, c := range admitted {
		idle, err := s.childIdle(c)
		if err != nil {
			return nil, err
		}
		if idle {
			out = append(out, newEval(c, nomadlike.EvalTriggerDispatchQueue))
		}
	}
	return out, nil
}

// childIdle reports whether the child has no allocation and no open
// evaluation.
func (s *Server) childIdle(c *nomadlike.Job) (bool, error) {
	st := s.fsm.State()
	allocs, err := st.AllocsByJob(nil, c.Namespace, c.ID)
	if err != nil || len(allocs) > 0 {
		return false, err
	}
	evals, err := st.EvalsByJob(nil, c.Namespace, c.ID)
	if err != nil {
		return false, err
	}
	for _, e := range evals {
		if !e.TerminalStatus() {
			return false, nil
		}
	}
	return true, nil
}

// sweepQueues runs on the leader: at once, then every dispatchQueueSweep,
// it starts the admitted idle children of every parameterized job with
// max_concurrent and settles every waiting job with job-level depends_on,
// so both lines move on after a leader change that lost a kick.
func (s *Server) sweepQueues(ctx context.Context) {
	for {
		jobs, err := s.fsm.State().Jobs(nil, "*", "")
		if err == nil {
			for _, j := range jobs {
				if j.IsParameterized() && j.MaxConcurrent() > 0 && !j.Stop {
					s.startAdmitted(j.Namespace, j.ID)
				}
			}
			s.sweepJobDependencies(jobs)
		}
		if !ctxsleep.Sleep(ctx, dispatchQueueSweep) {
			return
		}
	}
}
