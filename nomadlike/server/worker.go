package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/broker"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// A state snapshot is what the schedulers read. The assertion lives here,
// where both meet: the state package does not depend on the scheduler.
var _ scheduler.State = (*state.Snapshot)(nil)

// runWorker is one scheduler worker on the leader: it dequeues an
// evaluation, runs the scheduler for its job type on a snapshot at least as
// new as the evaluation, and acks it (or nacks it on error, so the broker
// retries it up to its delivery limit).
func (s *Server) runWorker(ctx context.Context) {
	for {
		eval, token, err := s.broker.Dequeue(ctx, s.cfg.EnabledSchedulers)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !waitCtx(ctx, backoff) {
				return
			}
			continue
		}
		if err := s.processEval(ctx, eval, token); err != nil {
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

func (s *Server) processEval(ctx context.Context, eval *nomadlike.Evaluation, token string) error {
	snap, err := s.fsm.State().SnapshotMinIndex(ctx, eval.ModifyIndex)
	if err != nil {
		return fmt.Errorf("snapshot for eval %s: %w", eval.ID, err)
	}
	p := &workerPlanner{s: s, ctx: ctx, eval: eval, token: token}
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
}

var _ scheduler.Planner = (*workerPlanner)(nil)

func (p *workerPlanner) SubmitPlan(pl *nomadlike.Plan) (*nomadlike.PlanResult, scheduler.State, error) {
	pl.EvalToken = p.token
	// Planning is progress: keep the broker from taking the eval back.
	_ = p.s.broker.OutstandingReset(p.eval.ID, p.token)
	res, err := p.s.applier.Apply(p.ctx, pl)
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
	_, err := p.s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*nomadlike.Evaluation{e.Copy()}})
	return err
}

func (p *workerPlanner) UpdateEval(e *nomadlike.Evaluation) error  { return p.writeEval(e) }
func (p *workerPlanner) CreateEval(e *nomadlike.Evaluation) error  { return p.writeEval(e) }
func (p *workerPlanner) ReblockEval(e *nomadlike.Evaluation) error { return p.writeEval(e) }

// usageCache keeps node usage across the workers' evaluations: a node's
// allocations are summed again only after they changed.
type usageCache = scheduler.UsageCache
