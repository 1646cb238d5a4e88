package server

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// dispatchQueueSweep is how often the leader checks every parameterized job
// with max_concurrent for admitted children that wait without an
// evaluation (a slot freed while leadership changed hands).
const dispatchQueueSweep = 5 * time.Second

// dispatchParents collects the parents of dispatched children whose
// allocations finished in a client update: a slot of their max_concurrent
// may have freed.
type dispatchParents map[nomadlike.NamespacedID]bool

func (p dispatchParents) note(a *nomadlike.Allocation) {
	if a.Job != nil && a.Job.Dispatched && a.Job.ParentID != "" {
		p[nomadlike.NamespacedID{Namespace: a.Namespace, ID: a.Job.ParentID}] = true
	}
}

// kickDispatchQueues evaluates, in the background, the children of parents
// that a freed slot admits (see dispatchQueueEvals).
func (s *Server) kickDispatchQueues(parents dispatchParents) {
	if len(parents) == 0 {
		return
	}
	go func() {
		for key := range parents {
			s.startAdmitted(key.Namespace, key.ID)
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
	children, err := st.JobsByParent(nil, ns, parentID)
	if err != nil {
		return nil, err
	}
	q := nomadlike.NewDispatchQueue(parent, children)
	if q == nil {
		return nil, nil
	}
	var out []*nomadlike.Evaluation
	for _, c := range q.Live[:q.Running] {
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

// sweepDispatchQueues runs on the leader: at once, then every
// dispatchQueueSweep, it starts the admitted idle children of every
// parameterized job with max_concurrent, so the line moves on after a
// leader change that lost a kick.
func (s *Server) sweepDispatchQueues(ctx context.Context) {
	for {
		jobs, err := s.fsm.State().Jobs(nil, "*", "")
		if err == nil {
			for _, j := range jobs {
				if j.IsParameterized() && j.MaxConcurrent() > 0 && !j.Stop {
					s.startAdmitted(j.Namespace, j.ID)
				}
			}
		}
		if !waitCtx(ctx, dispatchQueueSweep) {
			return
		}
	}
}
