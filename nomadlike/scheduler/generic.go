package scheduler

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/reconcile"
)

// genericScheduler processes evaluations of every job type: service and
// batch through reconcile.Reconcile and the selector, system and sysbatch
// through reconcile.System on the nodes the reconciler names. Not safe for
// concurrent use; a worker builds one per evaluation.
type genericScheduler struct {
	cfg     Config
	jobType string
	state   State
	planner Planner

	eval *nomadlike.Evaluation
	job  *nomadlike.Job
	now  time.Time

	// per attempt
	plan      *nomadlike.Plan
	ctx       *planContext
	sel       *selector
	failed    map[string]*nomadlike.AllocMetric
	queued    map[string]int
	followups []followup
	// deploymentID is the deployment in-place updates of deploying groups join.
	deploymentID string
}

// followup is a delayed-reschedule evaluation created once its plan commits.
type followup struct {
	eval   *nomadlike.Evaluation
	allocs []*nomadlike.Allocation
}

func (s *genericScheduler) system() bool {
	return s.jobType == nomadlike.JobTypeSystem || s.jobType == nomadlike.JobTypeSysBatch
}

// Process reconciles the evaluation's job with the cluster: it reads
// through State, submits at most one plan per attempt through Planner,
// retries with the refreshed state after a partial commit, and updates the
// evaluation (and creates blocked or follow-up evaluations) at the end.
func (s *genericScheduler) Process(eval *nomadlike.Evaluation) error {
	s.eval = eval
	s.now = s.cfg.Now()
	for attempt := range s.cfg.MaxPlanAttempts {
		done, err := s.attempt(attempt)
		if err != nil {
			return s.fail(err)
		}
		if done {
			return s.finish()
		}
		s.cfg.Logger.Debug("plan partly committed, retrying", "eval", eval.ID, "attempt", attempt+1)
	}
	return s.exhausted()
}

// seed derives the random source from the evaluation ID (and the attempt),
// so the same evaluation on the same state places the same way.
func (s *genericScheduler) seed(attempt int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(s.eval.ID))
	return rand.New(rand.NewPCG(h.Sum64(), uint64(attempt)))
}

func (s *genericScheduler) attempt(attempt int) (bool, error) {
	job, err := s.state.JobByID(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("read job %q: %w", s.eval.JobID, err)
	}
	s.job = job
	allocs, err := s.state.AllocsByJob(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return false, fmt.Errorf("read allocations of job %q: %w", s.eval.JobID, err)
	}
	nodeList, err := s.state.Nodes()
	if err != nil {
		return false, fmt.Errorf("read nodes: %w", err)
	}
	index, err := s.state.LatestIndex()
	if err != nil {
		return false, fmt.Errorf("read state index: %w", err)
	}
	nodes := make(map[string]*nomadlike.Node, len(nodeList))
	for _, n := range nodeList {
		nodes[n.ID] = n
	}
	tainted := taintedNodes(allocs, nodes)

	var r *reconcile.Result
	if s.system() {
		r = reconcile.System(reconcile.SystemInput{
			JobID: s.eval.JobID, Job: job, Allocs: allocs, TaintedNodes: tainted, Nodes: systemNodes(job, nodeList),
		})
	} else {
		deps, err := s.deployments()
		if err != nil {
			return false, err
		}
		r = reconcile.Reconcile(reconcile.Input{
			JobID: s.eval.JobID, Job: job, Allocs: allocs, TaintedNodes: tainted, EvalID: s.eval.ID, Now: s.now,
			Deployments: deps,
		})
		if err := s.holdJob(job, r); err != nil { // nomadlike's queue: jobgate.go
			return false, err
		}
	}

	rng := s.seed(attempt)
	s.plan = &nomadlike.Plan{EvalID: s.eval.ID, Priority: s.eval.Priority, Job: job, SnapshotIndex: index}
	if job != nil {
		s.plan.AllAtOnce = job.AllAtOnce
	}
	s.plan.Deployment, s.plan.DeploymentUpdates, s.deploymentID = r.Deployment, r.DeploymentUpdates, r.DeploymentID
	if s.eval.AnnotatePlan {
		s.plan.Annotations = &nomadlike.PlanAnnotations{DesiredTGUpdates: r.Desired}
	}
	s.ctx = newPlanContext(s.state, nodes, allocs)
	s.failed, s.queued, s.followups, s.sel = nil, map[string]int{}, nil, nil
	if job != nil {
		for _, tg := range job.TaskGroups {
			s.queued[tg.Name] = 0
		}
	}

	deferred := s.applyStops(r)
	s.applyInPlace(r.InPlace)
	if job != nil && !job.Stop {
		ready := readyNodes(nodeList)
		rng.Shuffle(len(ready), func(i, j int) { ready[i], ready[j] = ready[j], ready[i] })
		s.sel = &selector{
			job: job, limit: s.cfg.CandidateLimit, spread: s.jobType == nomadlike.JobTypeService,
			fitSpread: s.cfg.Algorithm == nomadlike.SchedulerAlgorithmSpread,
			ctx:       s.ctx, checker: feasible.NewChecker(), fitter: rank.NewFitter(rng), nodes: ready,
			groups: map[string]*groupState{},
		}
		s.place(r.Place, deferred)
		s.delay(r.Delayed)
	}
	if s.ctx.err != nil {
		return false, s.ctx.err
	}
	if s.plan.IsNoOp() && !s.eval.AnnotatePlan {
		return true, nil
	}
	result, newState, err := s.planner.SubmitPlan(s.plan)
	if err != nil {
		return false, fmt.Errorf("submit plan: %w", err)
	}
	if result != nil {
		s.createFollowups(result)
	}
	if newState != nil {
		s.state = newState
		if result == nil {
			return false, nil
		}
		if full, _, _ := result.FullCommit(s.plan); !full {
			return false, nil
		}
	}
	return true, nil
}

// taintedNodes returns the nodes of live allocations that are gone, down,
// disconnected or draining.
func taintedNodes(allocs []*nomadlike.Allocation, nodes map[string]*nomadlike.Node) map[string]*nomadlike.Node {
	out := map[string]*nomadlike.Node{}
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		n, ok := nodes[a.NodeID]
		switch {
		case !ok:
			out[a.NodeID] = nil
		case n.Status == nomadlike.NodeStatusDown, n.Status == nomadlike.NodeStatusDisconnected, n.DrainStrategy != nil:
			out[a.NodeID] = n
		}
	}
	return out
}

// readyNodes returns the nodes that may receive allocations, in ID order.
func readyNodes(nodes []*nomadlike.Node) []*nomadlike.Node {
	out := make([]*nomadlike.Node, 0, len(nodes))
	for _, n := range nodes {
		if n.Ready() {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// systemNodes returns the up, non-draining nodes in the job's datacenters
// and node pool, ready or ineligible.
func systemNodes(job *nomadlike.Job, nodes []*nomadlike.Node) []*nomadlike.Node {
	if job == nil {
		return nil
	}
	var out []*nomadlike.Node
	for _, n := range nodes {
		if n.Status != nomadlike.NodeStatusReady || n.DrainStrategy != nil {
			continue
		}
		if ok, _ := feasible.Datacenter(n, job.Datacenters); !ok {
			continue
		}
		if ok, _ := feasible.NodePool(n, job.NodePool); !ok {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// applyStops puts the reconciler's stops in the plan, except the stops of
// allocations that a migration, destructive update or reschedule replaces:
// those wait until the replacement found a node (returned by ID), so a
// replacement that cannot be placed leaves the old allocation running.
func (s *genericScheduler) applyStops(r *reconcile.Result) map[string]reconcile.Stop {
	replaced := map[string]bool{}
	for _, p := range r.Place {
		if p.Previous != nil && p.Kind != reconcile.KindLost {
			replaced[p.Previous.ID] = true
		}
	}
	deferred := map[string]reconcile.Stop{}
	for _, st := range r.Stop {
		if replaced[st.Alloc.ID] {
			deferred[st.Alloc.ID] = st
			continue
		}
		s.appendStop(st)
	}
	return deferred
}

func (s *genericScheduler) appendStop(st reconcile.Stop) *nomadlike.Allocation {
	s.plan.AppendStoppedAlloc(st.Alloc, st.Description, st.ClientStatus)
	list := s.plan.NodeUpdate[st.Alloc.NodeID]
	stopped := list[len(list)-1]
	stopped.ModifyTime = s.now.UnixNano()
	s.ctx.stop(st.Alloc)
	return stopped
}

// applyInPlace moves allocations to the new job version where they run.
func (s *genericScheduler) applyInPlace(allocs []*nomadlike.Allocation) {
	for _, a := range allocs {
		u := a.Copy()
		u.Job = s.job
		u.EvalID = s.eval.ID
		u.ModifyTime = s.now.UnixNano()
		if s.deploymentID != "" && nomadlike.UpdateDeploys(s.job, s.job.LookupTaskGroup(a.TaskGroup)) {
			u.DeploymentID = s.deploymentID
		}
		s.plan.AppendAlloc(u)
	}
}

// place finds a node for every placement, in order.
func (s *genericScheduler) place(places []reconcile.Placement, deferred map[string]reconcile.Stop) {
	for _, p := range places {
		var prevStop *reconcile.Stop
		if p.Previous != nil {
			if st, ok := deferred[p.Previous.ID]; ok {
				prevStop = &st
				s.ctx.stop(p.Previous) // free its resources while choosing
			}
		}
		var c *choice
		var m *nomadlike.AllocMetric
		if p.NodeID != "" {
			c, m = s.placeOnNode(p)
		} else {
			c, m = s.sel.selectNode(p.TaskGroup, p.Index)
		}
		if c == nil {
			if prevStop != nil {
				s.ctx.unstop(p.Previous)
			}
			if m != nil {
				s.recordFailure(p.TaskGroup.Name, m)
			}
			continue
		}
		a := s.newAlloc(p, c)
		if p.Previous != nil {
			var stopped *nomadlike.Allocation
			if prevStop != nil {
				delete(deferred, p.Previous.ID)
				stopped = s.appendStop(*prevStop) // already stopped in ctx
			} else {
				stopped = s.findStop(p.Previous)
			}
			if stopped != nil {
				stopped.NextAllocation = a.ID
			}
		}
		s.plan.AppendAlloc(a)
		s.ctx.place(a)
	}
}

// findStop returns the plan's stop of an allocation, or nil.
func (s *genericScheduler) findStop(a *nomadlike.Allocation) *nomadlike.Allocation {
	for _, x := range s.plan.NodeUpdate[a.NodeID] {
		if x.ID == a.ID {
			return x
		}
	}
	return nil
}

func (s *genericScheduler) recordFailure(group string, m *nomadlike.AllocMetric) {
	if s.failed == nil {
		s.failed = map[string]*nomadlike.AllocMetric{}
	}
	s.failed[group] = m
	s.queued[group]++
}

// newAlloc builds the allocation for a placement on the chosen node.
func (s *genericScheduler) newAlloc(p reconcile.Placement, c *choice) *nomadlike.Allocation {
	a := &nomadlike.Allocation{
		ID:                 nomadlike.GenerateUUID(),
		Namespace:          s.job.Namespace,
		EvalID:             s.eval.ID,
		Name:               p.Name,
		NodeID:             c.node.ID,
		NodeName:           c.node.Name,
		JobID:              s.job.ID,
		Job:                s.job,
		TaskGroup:          p.TaskGroup.Name,
		AllocatedResources: rank.Resources(p.TaskGroup, c.offer),
		Metrics:            c.metric,
		DesiredStatus:      nomadlike.AllocDesiredStatusRun,
		ClientStatus:       nomadlike.AllocClientStatusPending,
		CreateTime:         s.now.UnixNano(),
		ModifyTime:         s.now.UnixNano(),
		DeploymentID:       p.DeploymentID,
	}
	if p.Canary {
		a.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Canary: true}
	}
	if prev := p.Previous; prev != nil {
		a.PreviousAllocation = prev.ID
		if p.Kind == reconcile.KindReschedule {
			a.RescheduleTracker = rescheduleTracker(prev, p.TaskGroup.ReschedulePolicy, s.now)
		} else if prev.RescheduleTracker != nil {
			a.RescheduleTracker = prev.Copy().RescheduleTracker
		}
	}
	return a
}

// rescheduleTracker carries a failed allocation's reschedule history over
// to its replacement, with one more event.
func rescheduleTracker(prev *nomadlike.Allocation, p *nomadlike.ReschedulePolicy, now time.Time) *nomadlike.RescheduleTracker {
	t := &nomadlike.RescheduleTracker{}
	var last time.Duration
	if prev.RescheduleTracker != nil {
		t.Events = prev.Copy().RescheduleTracker.Events
		if n := len(t.Events); n > 0 {
			last = time.Duration(t.Events[n-1].Delay)
		}
	}
	var delay time.Duration
	if p != nil {
		delay = p.NextDelay(last, len(t.Events))
	}
	t.Events = append(t.Events, &nomadlike.RescheduleEvent{
		RescheduleTime: now.UnixNano(), PrevAllocID: prev.ID, PrevNodeID: prev.NodeID, Delay: int64(delay),
	})
	return t
}

// delay creates follow-up evaluations for failed allocations whose
// reschedule time has not come: one per distinct time, and marks the
// allocations with it so later evaluations do not create more.
func (s *genericScheduler) delay(delayed []reconcile.Delayed) {
	byTime := map[int64]*followup{}
	var order []int64
	for _, d := range delayed {
		if !d.NeedsFollowup {
			continue
		}
		at := d.At.Truncate(time.Second).Add(time.Second).UnixNano()
		f := byTime[at]
		if f == nil {
			f = &followup{eval: &nomadlike.Evaluation{
				ID: nomadlike.GenerateUUID(), Namespace: s.eval.Namespace, Priority: s.eval.Priority,
				Type: s.eval.Type, TriggeredBy: nomadlike.EvalTriggerRetryFailedAlloc, JobID: s.eval.JobID,
				JobModifyIndex: s.job.JobModifyIndex, Status: nomadlike.EvalStatusPending,
				WaitUntil: time.Unix(0, at).UTC(), PreviousEval: s.eval.ID,
				StatusDescription: "created for delayed rescheduling of failed allocations",
				CreateTime:        s.now.UnixNano(), ModifyTime: s.now.UnixNano(),
			}}
			byTime[at] = f
			order = append(order, at)
		}
		u := d.Alloc.Copy()
		u.FollowupEvalID = f.eval.ID
		u.ModifyTime = s.now.UnixNano()
		s.plan.AppendAlloc(u)
		f.allocs = append(f.allocs, u)
	}
	for _, at := range order {
		s.followups = append(s.followups, *byTime[at])
	}
}

// createFollowups creates the follow-up evaluations whose allocation
// updates were committed.
func (s *genericScheduler) createFollowups(result *nomadlike.PlanResult) {
	committed := map[string]bool{}
	for _, list := range result.NodeAllocation {
		for _, a := range list {
			committed[a.ID] = true
		}
	}
	for _, f := range s.followups {
		for _, a := range f.allocs {
			if committed[a.ID] {
				if err := s.planner.CreateEval(f.eval); err != nil {
					s.cfg.Logger.Warn("create follow-up eval", "eval", s.eval.ID, "error", err)
				}
				break
			}
		}
	}
	s.followups = nil
}

// deployments returns the job's deployments, newest first, when the
// state has them (DeploymentState).
func (s *genericScheduler) deployments() ([]*nomadlike.Deployment, error) {
	ds, ok := s.state.(DeploymentState)
	if !ok {
		return nil, nil
	}
	deps, err := ds.JobDeployments(s.eval.Namespace, s.eval.JobID)
	if err != nil {
		return nil, fmt.Errorf("read deployments of job %q: %w", s.eval.JobID, err)
	}
	return deps, nil
}
