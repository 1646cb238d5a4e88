package server

import (
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/plan"
)

// raftCommitter commits the plan applier's results through raft, as entries
// of at most Config.MaxAllocsPerEntry allocations each (see
// splitPlanResults), with their placements in the compact form of
// fsm.PlanResultsEntry. A big plan is thus several transactions of the state
// store instead of one: each stays under go-immutable-radix's limit of
// tracked changes, past which a commit walks every allocation in the store,
// and raft stores, replicates and applies the entries as a pipeline.
type raftCommitter struct{ s *Server }

func (c raftCommitter) Commit(cm *plan.Commit) (plan.CommitFuture, error) {
	if !c.s.IsLeader() {
		return nil, nomadlike.ErrNotLeader
	}
	updated, stopped := cm.Allocs()
	chunks := splitPlanResults(&fsm.ApplyPlanResultsRequest{
		Job: cm.Plan.Job, AllocsUpdated: updated, AllocsStopped: stopped, EvalID: cm.Plan.EvalID,
		Deployment: cm.Result.Deployment, DeploymentUpdates: cm.Result.DeploymentUpdates, // deployments
	}, c.s.cfg.MaxAllocsPerEntry)
	reqs := make([]any, len(chunks))
	for i, ch := range chunks {
		reqs[i] = fsm.NewPlanResultsEntry(ch)
	}
	w := c.s.raftApplyAll(fsm.PlanResultsEntryType, reqs)
	if len(w.futures) == 0 {
		return nil, w.err
	}
	return w, nil
}

// CommitBatch writes several plans as one raft entry (a PlanResultsBatch),
// which the FSM applies in one state store transaction: all or none. The
// plan applier keeps the batch within MaxAllocsPerEntry allocations.
func (c raftCommitter) CommitBatch(cms []*plan.Commit) (plan.CommitFuture, error) {
	if !c.s.IsLeader() {
		return nil, nomadlike.ErrNotLeader
	}
	b := &fsm.PlanResultsBatch{Plans: make([]*fsm.PlanResultsEntry, len(cms))}
	for i, cm := range cms {
		updated, stopped := cm.Allocs()
		b.Plans[i] = fsm.NewPlanResultsEntry(&fsm.ApplyPlanResultsRequest{
			Job: cm.Plan.Job, AllocsUpdated: updated, AllocsStopped: stopped, EvalID: cm.Plan.EvalID,
			Deployment: cm.Result.Deployment, DeploymentUpdates: cm.Result.DeploymentUpdates, // deployments
		})
	}
	w := c.s.raftApplyAll(fsm.PlanResultsBatchType, []any{b})
	if len(w.futures) == 0 {
		return nil, w.err
	}
	return w, nil
}

// splitPlanResults splits a plan result into requests of at most max
// allocations (max <= 0: one request). Stops come before placements, in
// the order given, as the single-request form applies them; every request
// carries the plan's Job and EvalID, and the last one the Evals. There is
// always at least one request.
func splitPlanResults(req *fsm.ApplyPlanResultsRequest, max int) []*fsm.ApplyPlanResultsRequest {
	total := len(req.AllocsStopped) + len(req.AllocsUpdated)
	if max <= 0 || total <= max {
		return []*fsm.ApplyPlanResultsRequest{req}
	}
	out := make([]*fsm.ApplyPlanResultsRequest, 0, (total+max-1)/max)
	first := true
	stopped, updated := req.AllocsStopped, req.AllocsUpdated
	for len(stopped)+len(updated) > 0 {
		ch := &fsm.ApplyPlanResultsRequest{Job: req.Job, EvalID: req.EvalID}
		if first { // the deployment before the allocations that name it
			ch.Deployment, ch.DeploymentUpdates, first = req.Deployment, req.DeploymentUpdates, false
		}
		n := min(max, len(stopped))
		ch.AllocsStopped, stopped = stopped[:n:n], stopped[n:]
		n = min(max-n, len(updated))
		ch.AllocsUpdated, updated = updated[:n:n], updated[n:]
		out = append(out, ch)
	}
	out[len(out)-1].Evals = req.Evals
	return out
}

// splitClientUpdates splits client updates into requests of at most max
// allocations (max <= 0: one request); the evals go in the last one, so
// the evaluations a failure causes are seen only after the failure is.
func splitClientUpdates(updates []*nomadlike.Allocation, evals []*nomadlike.Evaluation, max int) []*fsm.AllocClientUpdateRequest {
	if max <= 0 || len(updates) <= max {
		return []*fsm.AllocClientUpdateRequest{{Allocs: updates, Evals: evals}}
	}
	out := make([]*fsm.AllocClientUpdateRequest, 0, (len(updates)+max-1)/max)
	for len(updates) > 0 {
		n := min(max, len(updates))
		out = append(out, &fsm.AllocClientUpdateRequest{Allocs: updates[:n:n]})
		updates = updates[n:]
	}
	out[len(out)-1].Evals = evals
	return out
}

// raftWrites is a sequence of raft entries submitted back to back: raft
// stores entry k while entry k+1 is encoded and the FSM applies entry k-1.
// It implements plan.CommitFuture.
type raftWrites struct {
	s       *Server
	t       fsm.MessageType
	n       int // entries wanted
	futures []raft.ApplyFuture
	err     error // why fewer than n were submitted
}

// raftApplyAll encodes and submits one entry per request, in order, without
// waiting between them. Entries are submitted until one cannot be (not the
// leader, or an encoding error); Wait reports that error after waiting for
// the entries already submitted.
func (s *Server) raftApplyAll(t fsm.MessageType, reqs []any) *raftWrites {
	w := &raftWrites{s: s, t: t, n: len(reqs)}
	if !s.IsLeader() {
		w.err = fmt.Errorf("%s: %w", t, nomadlike.ErrNotLeader)
		return w
	}
	var apply EntryApplier = s.raft
	if s.cfg.EntryApplier != nil {
		apply = s.cfg.EntryApplier
	}
	for i, req := range reqs {
		buf, err := fsm.Encode(t, req)
		if err != nil {
			w.err = fmt.Errorf("entry %d of %d: %w", i+1, len(reqs), err)
			break
		}
		w.futures = append(w.futures, apply.Apply(buf, s.cfg.RaftApplyTimeout))
	}
	return w
}

// Wait waits for every submitted entry and returns the index of the last
// one, or the first error: raft's (leadership errors wrap
// nomadlike.ErrNotLeader) or the FSM's. It waits for all of them even after
// an error, so that when it returns no entry of the sequence is still in
// flight: the plan applier relies on that to check the next plan against a
// state that holds everything this commit wrote. Entries before a failed
// one may be committed: a write can then be partly done.
func (w *raftWrites) Wait() (uint64, error) {
	var index uint64
	first := w.err
	for i, f := range w.futures {
		err := w.s.await(f)
		if err != nil {
			err = raftErr(err)
		} else if resp, ok := f.Response().(error); ok && resp != nil {
			err = resp
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s entry %d of %d: %w", w.t, i+1, w.n, err)
			}
			continue
		}
		index = f.Index()
	}
	if first != nil {
		return 0, first
	}
	return index, nil
}

// EntryApplier submits one raft entry (*raft.Raft is one): see
// Config.EntryApplier.
type EntryApplier interface {
	Apply(cmd []byte, timeout time.Duration) raft.ApplyFuture
}
