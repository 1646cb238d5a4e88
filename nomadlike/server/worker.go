package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/broker"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
	"github.com/nomadlike/nomadlike/nomadlike/plan"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// A state snapshot is what the schedulers read. The assertion lives here,
// where both meet: the state package does not depend on the scheduler.
var _ scheduler.State = (*state.Snapshot)(nil)

// EvalsPerScheduler is how many evaluations each scheduler worker keeps in
// flight: Config.NumSchedulers evaluations are computed at once (the CPU
// part), and while one waits for its evaluation update or its small plan
// (PipelinedPlanMax) to be committed through raft (an fsync and an FSM
// apply, milliseconds on a disk) its slot goes to another. With only NumSchedulers in flight every
// evaluation waited for two raft rounds in a row and the leader sat idle
// between them (BENCHMARKS.md, "Round 5 ... short batch jobs"): 2 workers
// completed at most 2 evaluations per ~2 raft rounds. The waiting ones
// cost a goroutine each, and their plans reach the plan applier together,
// which commits them in one raft entry (plan.Applier).
const EvalsPerScheduler = 8

// PipelinedPlanMax is the largest plan (placements and stops) whose
// evaluation gives its scheduling slot up while the plan commits. A bigger
// plan keeps it: an evaluation computed meanwhile would not see its
// placements, and on a packed cluster big plans computed on the same stale
// state collide in the plan applier (BenchmarkPlacement, 100 plans of 100
// placements on 1,000 nodes: 2.5 times the partly rejected plans and 4
// times the node rejections when every plan gave its slot up). Small plans
// rarely collide, and one that does costs a retry of a few placements.
const PipelinedPlanMax = 8

// startWorkers starts the leader's scheduler workers: NumSchedulers slots
// of scheduling, EvalsPerScheduler evaluations in flight per slot.
func (s *Server) startWorkers(run func(func(context.Context))) {
	if s.cfg.NumSchedulers <= 0 {
		return
	}
	slots := make(schedSlots, s.cfg.NumSchedulers)
	for i := 0; i < s.cfg.NumSchedulers*EvalsPerScheduler; i++ {
		run(func(ctx context.Context) { s.runWorker(ctx, slots) })
	}
}

// schedSlots is a semaphore: a worker holds a slot while it computes, not
// while it waits for raft.
type schedSlots chan struct{}

func (c schedSlots) acquire(ctx context.Context) bool {
	select {
	case c <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c schedSlots) release() { <-c }

// runWorker is one scheduler worker on the leader: it dequeues an
// evaluation, runs the scheduler for its job type on a snapshot at least as
// new as the evaluation (holding a scheduling slot except while it waits for
// a commit), and acks it (or nacks it on error, so the broker retries it up
// to its delivery limit).
func (s *Server) runWorker(ctx context.Context, slots schedSlots) {
	for {
		eval, token, err := s.broker.Dequeue(ctx, s.cfg.EnabledSchedulers)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !ctxsleep.Sleep(ctx, backoff) {
				return
			}
			continue
		}
		if !slots.acquire(ctx) {
			return // leadership lost: the broker was flushed
		}
		err = s.processEval(ctx, eval, token, slots)
		slots.release()
		if err != nil {
			s.logger.Warn("evaluation failed, nacking", "eval_id", eval.ID, "job_id", eval.JobID, "error", err)
			if err := s.broker.Nack(eval.ID, token); err != nil && !errors.Is(err, broker.ErrNotOutstanding) {
				s.logger.Error("nack evaluation", "eval_id", eval.ID, "error", err)
			}
			continue
		}
		if err := s.broker.Ack(eval.ID, token); err != nil && !errors.Is(err, broker.ErrNotOutstanding) {
			s.logger.Error("ack evaluation", "eval_id", eval.ID, "error", err)
		}
	}
}

// processEval runs the scheduler on eval; the caller holds a slot of slots
// (nil: none to give up while waiting), released while a commit is awaited.
func (s *Server) processEval(ctx context.Context, eval *nomadlike.Evaluation, token string, slots schedSlots) error {
	snap, err := s.fsm.State().SnapshotMinIndex(ctx, eval.ModifyIndex)
	if err != nil {
		return fmt.Errorf("snapshot for eval %s: %w", eval.ID, err)
	}
	p := &workerPlanner{s: s, ctx: ctx, eval: eval, token: token, slots: slots}
	sched, err := scheduler.NewSchedulerWithConfig(eval.Type, s.usage.Wrap(snap, snap.NodeAllocsVersion), p, s.schedulerConfig(snap))
	if err != nil {
		return err
	}
	return sched.Process(eval)
}

// workerPlanner is the scheduler.Planner of a leader worker: plans go to the
// plan applier, evaluation changes go through raft.
type workerPlanner struct {
	s     *Server
	ctx   context.Context
	eval  *nomadlike.Evaluation
	token string
	slots schedSlots // given up while a commit is awaited; nil: none
}

// waiting runs wait without the scheduling slot the worker holds, so that
// another worker computes meanwhile, and takes a slot again after (without
// giving up on ctx: holders only compute, so one comes free soon, and the
// caller releases it).
func (p *workerPlanner) waiting(wait func() error) error {
	if p.slots == nil {
		return wait()
	}
	p.slots.release()
	err := wait()
	p.slots <- struct{}{}
	return err
}

var _ scheduler.Planner = (*workerPlanner)(nil)

func (p *workerPlanner) SubmitPlan(pl *nomadlike.Plan) (*nomadlike.PlanResult, scheduler.State, error) {
	pl.EvalToken = p.token
	// Planning is progress: keep the broker from taking the eval back.
	_ = p.s.broker.OutstandingReset(p.eval.ID, p.token)
	var res *nomadlike.PlanResult
	apply := func() (err error) {
		res, err = p.s.applier.Apply(p.ctx, pl)
		return err
	}
	var err error
	if plan.Size(pl) <= PipelinedPlanMax {
		err = p.waiting(apply)
	} else {
		err = apply() // keeps the slot: see PipelinedPlanMax
	}
	if err != nil {
		return nil, nil, err
	}
	if res.RefreshIndex == 0 {
		return res, nil, nil
	}
	min := max(res.RefreshIndex, res.AllocIndex)
	snap, err := p.s.fsm.State().SnapshotMinIndex(p.ctx, min)
	if err != nil {
		return nil, nil, fmt.Errorf("refresh state to index %d: %w", min, err)
	}
	return res, p.s.usage.Wrap(snap, snap.NodeAllocsVersion), nil
}

func (p *workerPlanner) writeEval(e *nomadlike.Evaluation) error {
	evals := []*nomadlike.Evaluation{e.Copy()}
	return p.waiting(func() error {
		_, err := p.s.evalWrites.commit(evals)
		return err
	})
}

func (p *workerPlanner) UpdateEval(e *nomadlike.Evaluation) error  { return p.writeEval(e) }
func (p *workerPlanner) CreateEval(e *nomadlike.Evaluation) error  { return p.writeEval(e) }
func (p *workerPlanner) ReblockEval(e *nomadlike.Evaluation) error { return p.writeEval(e) }

// usageCache keeps node usage across the workers' evaluations: a node's
// allocations are summed again only after they changed.
type usageCache = scheduler.UsageCache
