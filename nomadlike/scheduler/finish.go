package scheduler

import (
	"fmt"
	"sort"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/reconcile"
)

// placeOnNode places a system job's allocation on the node the reconciler
// named. A node the group's constraints exclude is skipped without a
// failure (system jobs run where they may); a node that cannot fit the
// group is a failure, as for other jobs.
func (s *genericScheduler) placeOnNode(p reconcile.Placement) (*choice, *nomadlike.AllocMetric) {
	start := time.Now()
	node := s.ctx.nodes[p.NodeID]
	m := &nomadlike.AllocMetric{NodesInPool: 1, NodesEvaluated: 1}
	if node == nil {
		return nil, nil
	}
	if ok, _ := feasible.Ready(node); !ok {
		return nil, nil
	}
	if ok, why := s.sel.checker.Placeable(node, s.job, p.TaskGroup); !ok {
		s.cfg.Logger.Debug("system placement filtered", "node", node.ID, "reason", why)
		return nil, nil
	}
	if ok, _ := feasible.HostVolumesFor(node, p.TaskGroup, p.Index); !ok { // per_alloc host volumes
		return nil, nil
	}
	if check := feasible.JobChecks(s.job, p.TaskGroup, s.ctx); check != nil {
		if ok, _ := check(node); !ok {
			return nil, nil
		}
	}
	usage := s.ctx.nodeUsage(node.ID)
	ok, dim := s.sel.fitter.Fit(node, usage, p.TaskGroup, p.TaskGroup.ComparableResources())
	var offer *rank.Offer
	if ok {
		if offer, ok = s.sel.fitter.Offer(node, usage, p.TaskGroup); !ok {
			dim = nomadlike.DimensionPorts
		}
	}
	if !ok {
		m.ExhaustedNode("", dim)
		m.AllocationTime = time.Since(start)
		if prev := s.failed[p.TaskGroup.Name]; prev != nil {
			prev.NodesEvaluated++
			prev.ExhaustedNode("", dim)
			prev.CoalescedFailures++
			return nil, prev
		}
		return nil, m
	}
	m.AllocationTime = time.Since(start)
	return &choice{node: node, offer: offer, metric: m}, nil
}

// finish updates the evaluation after the last plan committed: complete,
// with the placements that failed (and a blocked evaluation to retry them
// when the cluster changes).
func (s *genericScheduler) finish() error {
	ev := s.eval.Copy()
	ev.SnapshotIndex = s.plan.SnapshotIndex
	ev.QueuedAllocations = s.queued
	ev.ModifyTime = s.now.UnixNano()
	if s.deploymentID != "" {
		ev.DeploymentID = s.deploymentID // deployments
	}
	if len(s.failed) > 0 {
		ev.FailedTGAllocs = s.failed
		if s.eval.Status == nomadlike.EvalStatusBlocked {
			// A blocked evaluation that still cannot place goes back to
			// the blocked set instead of spawning another.
			blocked := s.blockedEval()
			ev.ClassEligibility, ev.EscapedComputedClass = blocked.ClassEligibility, blocked.EscapedComputedClass
			if err := s.planner.ReblockEval(ev); err != nil {
				return fmt.Errorf("reblock eval %q: %w", ev.ID, err)
			}
			return nil
		}
		if s.eval.BlockedEval == "" {
			blocked := s.blockedEval()
			if err := s.planner.CreateEval(blocked); err != nil {
				return fmt.Errorf("create blocked eval for %q: %w", ev.ID, err)
			}
			ev.BlockedEval = blocked.ID
		}
	}
	ev.Status = nomadlike.EvalStatusComplete
	ev.StatusDescription = ""
	if err := s.planner.UpdateEval(ev); err != nil {
		return fmt.Errorf("update eval %q: %w", ev.ID, err)
	}
	return nil
}

// blockedEval builds the evaluation that waits for capacity: it records
// per computed node class whether the failed groups could run there.
func (s *genericScheduler) blockedEval() *nomadlike.Evaluation {
	classes := map[string]bool{}
	escaped := false
	groups := make([]string, 0, len(s.failed))
	for g := range s.failed {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		tg := s.job.LookupTaskGroup(g)
		if tg == nil {
			continue
		}
		classEligibility(s.sel.nodes, s.job, tg, s.sel.checker, classes)
		escaped = escaped || feasible.EscapesClass(s.job, tg)
	}
	return &nomadlike.Evaluation{
		ID:                   nomadlike.GenerateUUID(),
		Namespace:            s.eval.Namespace,
		Priority:             s.eval.Priority,
		Type:                 s.eval.Type,
		TriggeredBy:          nomadlike.EvalTriggerQueuedAllocs,
		JobID:                s.eval.JobID,
		JobModifyIndex:       s.job.JobModifyIndex,
		Status:               nomadlike.EvalStatusBlocked,
		StatusDescription:    "created to place remaining allocations",
		PreviousEval:         s.eval.ID,
		ClassEligibility:     classes,
		EscapedComputedClass: escaped,
		CreateTime:           s.now.UnixNano(),
		ModifyTime:           s.now.UnixNano(),
	}
}

// fail marks the evaluation failed after an error and returns the error.
func (s *genericScheduler) fail(cause error) error {
	ev := s.eval.Copy()
	ev.Status = nomadlike.EvalStatusFailed
	ev.StatusDescription = cause.Error()
	ev.ModifyTime = s.now.UnixNano()
	if err := s.planner.UpdateEval(ev); err != nil {
		return fmt.Errorf("process eval %q: %w (and update eval: %v)", s.eval.ID, cause, err)
	}
	return fmt.Errorf("process eval %q: %w", s.eval.ID, cause)
}

// exhausted ends an evaluation whose plans kept being partly committed: it
// fails, and a blocked evaluation retries once the cluster changes.
func (s *genericScheduler) exhausted() error {
	ev := s.eval.Copy()
	ev.Status = nomadlike.EvalStatusFailed
	ev.StatusDescription = fmt.Sprintf("plan partly committed %d times in a row", s.cfg.MaxPlanAttempts)
	ev.ModifyTime = s.now.UnixNano()
	if s.job != nil && s.sel != nil && s.eval.Status != nomadlike.EvalStatusBlocked {
		blocked := s.blockedEval()
		blocked.TriggeredBy = nomadlike.EvalTriggerMaxPlans
		if err := s.planner.CreateEval(blocked); err != nil {
			return fmt.Errorf("create blocked eval for %q: %w", ev.ID, err)
		}
		ev.BlockedEval = blocked.ID
	}
	if err := s.planner.UpdateEval(ev); err != nil {
		return fmt.Errorf("update eval %q: %w", ev.ID, err)
	}
	return nil
}
