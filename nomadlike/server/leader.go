package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/broker"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
)

// monitorLeadership runs the leader's duties while this server leads.
// raft's NotifyCh reports every change; a duty loop is started on gaining
// leadership and cancelled (and waited for) on losing it, so two never run.
func (s *Server) monitorLeadership() {
	var stopLeader func()
	stop := func() {
		if stopLeader != nil {
			stopLeader()
			stopLeader = nil
		}
	}
	for {
		select {
		case leader := <-s.leaderNotifCh:
			if leader && stopLeader == nil {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() {
					defer close(done)
					s.leaderLoop(ctx)
				}()
				stopLeader = func() { cancel(); <-done }
			} else if !leader {
				stop()
			}
		case <-s.shutdownCh:
			stop()
			return
		}
	}
}

// leaderLoop waits until the FSM has applied everything committed before
// this term (a barrier), turns the leader-only components on, and turns them
// off when ctx ends.
func (s *Server) leaderLoop(ctx context.Context) {
	for {
		err := s.await(s.raft.Barrier(s.cfg.RaftApplyTimeout))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		s.logger.Warn("leader barrier failed, retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.logger.Info("gained leadership", "id", s.id)
	var wg sync.WaitGroup
	// Ready before the leader-only components start: they act as the
	// leader (periodic launches, restored evals), and a write that commits
	// before the broker is enabled is still picked up by restoreEvals.
	s.leaderReady.Store(true)
	s.establishLeadership(ctx, &wg)
	<-ctx.Done()
	s.leaderReady.Store(false)
	wg.Wait()
	s.revokeLeadership()
	s.logger.Info("lost leadership", "id", s.id)
}

func (s *Server) establishLeadership(ctx context.Context, wg *sync.WaitGroup) {
	s.broker.SetEnabled(true)
	s.blocked.SetEnabled(true)
	s.applier.SetEnabled(true)
	if err := s.restoreEvals(); err != nil {
		s.logger.Error("restore evaluations into the broker", "error", err)
	}
	if err := s.heartbeats.enable(); err != nil {
		s.logger.Error("start heartbeat timers", "error", err)
	}
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	s.startWorkers(run)
	run(s.reapFailedEvals)
	run(s.reapCancelledEvals)
	run(s.drainLoop)
	run(newPeriodicLauncher(s).run)
	run(s.aclTokenGC)  // ACL store: delete expired tokens (acl_gc.go)
	run(s.jobGC)       // server garbage collection (gc.go)
	run(s.keyringInit) // variables: the first root key (keyring.go)

	// nomadlike's queue: max_concurrent and job depends_on (dispatch_queue.go)
	run(s.sweepQueues)
	run(s.deploymentWatcher) // deployments (deployments.go)
	run(s.runAutoscaler)     // the built-in autoscaler (autoscale.go, issue #17)
}

func (s *Server) revokeLeadership() {
	s.heartbeats.disable()
	s.applier.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.broker.SetEnabled(false)
}

// restoreEvals puts the state's pending and blocked evaluations back into the
// broker and the blocked set.
func (s *Server) restoreEvals() error {
	evals, err := s.fsm.State().Evals(nil, "")
	if err != nil {
		return err
	}
	for _, e := range evals {
		s.routeEval(e)
	}
	return nil
}

// onEvals is the FSM's eval hook: it runs after every committed entry that
// wrote evaluations, on every server; on followers the broker and blocked set
// are disabled and drop them.
func (s *Server) onEvals(evals []*nomadlike.Evaluation) {
	for _, e := range evals {
		s.routeEval(e)
	}
}

func (s *Server) routeEval(e *nomadlike.Evaluation) {
	switch e.Status {
	case nomadlike.EvalStatusPending:
		s.broker.Enqueue(e)
	case nomadlike.EvalStatusBlocked:
		s.blocked.Block(e)
	case nomadlike.EvalStatusComplete:
		if len(e.FailedTGAllocs) == 0 {
			// Everything placed: an older blocked evaluation is obsolete.
			s.blocked.Untrack(e.Namespace, e.JobID)
		} else {
			s.blocked.Settle(e.Namespace, e.JobID) // queue: the job had its turn
		}
	case nomadlike.EvalStatusFailed, nomadlike.EvalStatusCancelled:
		s.blocked.Settle(e.Namespace, e.JobID) // queue: the job had its turn
	}
}

// reapFailedEvals takes evaluations that reached the broker's delivery limit,
// marks them failed and schedules a follow-up after a randomised delay, so a
// transient scheduler failure is retried without spinning.
func (s *Server) reapFailedEvals(ctx context.Context) {
	for {
		eval, token, err := s.broker.Dequeue(ctx, []string{broker.FailedQueue})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !ctxsleep.Sleep(ctx, 100*time.Millisecond) {
				return
			}
			continue
		}
		failed := eval.Copy()
		failed.Status = nomadlike.EvalStatusFailed
		failed.StatusDescription = fmt.Sprintf("evaluation reached delivery limit (%d)", s.cfg.EvalDeliveryLimit)
		delay := s.cfg.EvalFailedFollowupBaseline + s.jitter(s.cfg.EvalFailedFollowupRange)
		followup := &nomadlike.Evaluation{
			ID:             nomadlike.GenerateUUID(),
			Namespace:      eval.Namespace,
			Priority:       eval.Priority,
			Type:           eval.Type,
			TriggeredBy:    nomadlike.EvalTriggerFailedFollowUp,
			JobID:          eval.JobID,
			JobModifyIndex: eval.JobModifyIndex,
			Status:         nomadlike.EvalStatusPending,
			WaitUntil:      time.Now().Add(delay),
			PreviousEval:   eval.ID,
		}
		failed.NextEval = followup.ID
		if _, err := s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*nomadlike.Evaluation{failed, followup}}); err != nil {
			s.logger.Error("mark evaluation failed", "eval_id", eval.ID, "error", err)
			_ = s.broker.Nack(eval.ID, token)
			// The write fails while leadership is being lost: pause instead of
			// dequeuing the same evaluation again at once (a busy loop until
			// the leader loop's context ends).
			if !ctxsleep.Sleep(ctx, 100*time.Millisecond) {
				return
			}
			continue
		}
		s.logger.Warn("evaluation failed after its delivery limit; follow-up scheduled", "eval_id", eval.ID, "followup", followup.ID, "delay", delay)
		if err := s.broker.Ack(eval.ID, token); err != nil && !errors.Is(err, broker.ErrNotOutstanding) {
			s.logger.Error("ack failed evaluation", "eval_id", eval.ID, "error", err)
		}
	}
}

// reapCancelledEvals marks cancelled the evaluations the broker coalesced
// (superseded by a newer one of the same job) and the blocked evaluations a
// newer one replaced.
func (s *Server) reapCancelledEvals(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.blocked.DuplicatesCh():
		}
		var out []*nomadlike.Evaluation
		for _, e := range append(s.broker.Cancelable(1000), s.blocked.Duplicates()...) {
			c := e.Copy()
			c.Status = nomadlike.EvalStatusCancelled
			c.StatusDescription = "superseded by a newer evaluation of the job"
			out = append(out, c)
		}
		if len(out) == 0 {
			continue
		}
		if _, err := s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: out}); err != nil {
			s.logger.Warn("cancel superseded evaluations", "count", len(out), "error", err)
		}
	}
}
