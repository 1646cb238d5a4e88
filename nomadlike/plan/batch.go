package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// inflight is a write that has been started but not yet answered: the
// accepted allocations of its plans by node, for the overlay.
type inflight struct {
	changed map[string][]*nomadlike.Allocation
	done    chan struct{}
	index   uint64
	err     error
}

// batch is the plans of one write: each checked against the same snapshot
// with the in-flight write's allocations and those of the plans before it
// in the batch laid over it.
type batch struct {
	snap    NodeState
	changed map[string][]*nomadlike.Allocation // node ID → stops and placements of prev and this batch, in order
	own     map[string][]*nomadlike.Allocation // those of this batch only: the next batch's overlay
	items   []*batchItem
	allocs  int  // placements and stops of the accepted results
	closed  bool // takes no more plans
}

type batchItem struct {
	f        *Future
	result   *nomadlike.PlanResult
	rejected []Rejection
}

// run is the applier goroutine.
//
// Why one goroutine: fit is a property of a node's whole set of allocations,
// and plans from parallel workers may each fit on their own yet not
// together. Checking plans strictly one after the other, each against a
// state that contains every plan accepted before it, is what makes "no node
// is ever over-committed" hold no matter how stale the workers' snapshots
// were.
//
// Why the overlap and the batches: a raft commit takes a network round trip
// and an fsync, much longer than checking a plan. So while write N is in
// flight the loop takes the plans that queue up meanwhile and checks each
// against the newest snapshot with N's accepted allocations and those of
// the plans before it in the batch laid over it (overlay). That view equals
// the state after them whether or not the snapshot already contains N. When
// N is answered the batch is written as ONE write (group commit, when the
// Committer is a BatchCommitter), applied whole or not at all, so the plans
// after a plan in the batch never outlive it. If N failed, the batch was
// checked against allocations that do not exist (too pessimistic, and the
// overlay may hide stops N did not make), so it is checked again on a fresh
// snapshot. Only one write is ever in flight, so writes land in queue order
// and the snapshot floor (lastIndex) only moves forward. A batch whose
// write fails for another reason than leadership (the state store refused
// one plan of it) goes back to the queue plan by plan, each to be written
// alone, so that one bad plan does not fail the others.
func (a *Applier) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	var lastIndex uint64
	var prev *inflight
	// settle waits for the in-flight write and advances lastIndex; it
	// reports whether that write succeeded.
	settle := func() bool {
		if prev == nil {
			return true
		}
		<-prev.done
		ok := prev.err == nil
		if ok && prev.index > lastIndex {
			lastIndex = prev.index
		}
		prev = nil
		return ok
	}
	defer settle()

	for {
		f, err := a.queue.pop(ctx)
		if err != nil {
			return
		}
		b, err := a.newBatch(ctx, lastIndex, prev)
		if err != nil {
			f.respond(nil, fmt.Errorf("plan for eval %s: %w", f.plan.EvalID, err))
			if ctx.Err() != nil {
				return
			}
			continue
		}
		a.add(b, f)
		a.collect(ctx, b, prev)
		if ctx.Err() != nil {
			b.fail(fmt.Errorf("plan applier stopped: %w", nomadlike.ErrNotLeader))
			return
		}
		if prev != nil && !settle() {
			if b, err = a.recheck(ctx, b, lastIndex); err != nil {
				b.fail(err)
				if ctx.Err() != nil {
					return
				}
				continue
			}
		}
		prev = a.write(b, lastIndex)
	}
}

// newBatch starts a batch on a snapshot at or after minIndex, with prev's
// allocations laid over it when a write is in flight.
func (a *Applier) newBatch(ctx context.Context, minIndex uint64, prev *inflight) (*batch, error) {
	snap, err := a.cfg.Snapshot(ctx, minIndex)
	if err != nil {
		return nil, fmt.Errorf("snapshot at index %d: %w", minIndex, err)
	}
	b := &batch{snap: snap, changed: map[string][]*nomadlike.Allocation{}, own: map[string][]*nomadlike.Allocation{}}
	if prev != nil {
		for id, allocs := range prev.changed {
			b.changed[id] = slices.Clip(allocs)
		}
	}
	return b, nil
}

// collect adds the plans queued meanwhile to b while the previous write is
// in flight, until b is full or that write is answered. With no write in
// flight it takes only what is queued now: an idle cluster waits for
// nothing.
func (a *Applier) collect(ctx context.Context, b *batch, prev *inflight) {
	for !b.closed && len(b.items) < a.cfg.MaxBatchPlans {
		f, ready := a.queue.tryPop()
		if f == nil {
			if prev == nil {
				return
			}
			select {
			case <-ready:
				continue
			case <-prev.done:
				return
			case <-ctx.Done():
				return
			}
		}
		if len(b.items) > 0 && (f.alone || b.allocs+Size(f.plan) > a.cfg.MaxBatchAllocs) {
			a.queue.pushBack(f) // next batch
			return
		}
		a.add(b, f)
	}
}

// add checks f's plan against b's view and adds it to b.
func (a *Applier) add(b *batch, f *Future) {
	p := f.plan
	if a.cfg.CheckToken != nil {
		if err := a.cfg.CheckToken(p.EvalID, p.EvalToken); err != nil {
			f.respond(nil, fmt.Errorf("plan for eval %s: %w", p.EvalID, err))
			return
		}
	}
	var st NodeState = b.snap
	if len(b.changed) > 0 {
		st = overlay{base: b.snap, changed: b.changed}
	}
	result, rejected, err := Evaluate(st, p)
	if err != nil {
		f.respond(nil, err)
		return
	}
	b.items = append(b.items, &batchItem{f: f, result: result, rejected: rejected})
	if f.alone || Size(p) > a.cfg.MaxBatchAllocs {
		b.closed = true
	}
	for _, m := range []map[string][]*nomadlike.Allocation{result.NodeUpdate, result.NodeAllocation} {
		for id, allocs := range m {
			b.changed[id] = append(b.changed[id], allocs...)
			b.own[id] = append(b.own[id], allocs...)
			b.allocs += len(allocs)
		}
	}
}

// recheck checks b's plans again on a fresh snapshot: the write they were
// laid over failed.
func (a *Applier) recheck(ctx context.Context, b *batch, minIndex uint64) (*batch, error) {
	nb, err := a.newBatch(ctx, minIndex, nil)
	if err != nil {
		return b, err
	}
	for _, it := range b.items {
		a.add(nb, it.f)
	}
	return nb, nil
}

// fail answers every plan of b with err.
func (b *batch) fail(err error) {
	for _, it := range b.items {
		it.f.respond(nil, err)
	}
}

// write starts the write of b's accepted plans and returns it, or nil when
// nothing was started. Plans with nothing to commit are answered at once,
// except rejected ones when others are written: they are answered with the
// write, their RefreshIndex at its index, so the worker's retry sees the
// plans that took its nodes.
func (a *Applier) write(b *batch, lastIndex uint64) *inflight {
	var commits []*Commit
	var written, riders []*batchItem
	for _, it := range b.items {
		p, result := it.f.plan, it.result
		if len(it.rejected) > 0 {
			if result.RefreshIndex < lastIndex {
				result.RefreshIndex = lastIndex
			}
			a.logger.Debug("plan partly rejected", "eval_id", p.EvalID, "rejected_nodes", len(it.rejected),
				"first_node", it.rejected[0].NodeID, "reason", it.rejected[0].Reason, "all_at_once", p.AllAtOnce)
		}
		if len(result.NodeAllocation) == 0 && len(result.NodeUpdate) == 0 &&
			result.Deployment == nil && len(result.DeploymentUpdates) == 0 {
			riders = append(riders, it)
			continue
		}
		commits = append(commits, &Commit{Plan: p, Result: result})
		written = append(written, it)
	}
	if len(commits) == 0 {
		a.answer(riders, 0)
		return nil
	}
	var cf CommitFuture
	var err error
	if len(commits) == 1 {
		cf, err = a.cfg.Committer.Commit(commits[0])
	} else {
		cf, err = a.cfg.Committer.(BatchCommitter).CommitBatch(commits)
	}
	if err != nil {
		err = fmt.Errorf("commit plan for eval %s: %w", commits[0].Plan.EvalID, err)
		for _, it := range append(written, riders...) {
			it.f.respond(nil, err)
		}
		return nil
	}
	a.commits.Add(1)
	// The next batch's snapshot is at least as new as every write before
	// this one (each is settled before the next starts): only this
	// batch's own allocations need laying over it.
	cur := &inflight{changed: b.own, done: make(chan struct{})}
	go func() {
		idx, err := cf.Wait()
		if err != nil {
			a.failed(written, riders, err)
		} else {
			for _, it := range written {
				it.result.AllocIndex = idx
			}
			a.answer(append(written, riders...), idx)
		}
		cur.index, cur.err = idx, err
		close(cur.done)
	}()
	return cur
}

// answer counts and answers plans that are decided; rejected ones get a
// RefreshIndex of at least index.
func (a *Applier) answer(items []*batchItem, index uint64) {
	for _, it := range items {
		a.rejected.Add(uint64(len(it.rejected)))
		if len(it.rejected) > 0 {
			a.partial.Add(1)
			it.result.RefreshIndex = max(it.result.RefreshIndex, index)
		} else {
			a.applied.Add(1)
		}
		it.f.respond(it.result, nil)
	}
}

// failed answers the plans of a failed write. A batch that the leader
// refused for another reason than leadership goes back to the queue, plan
// by plan, each to be written alone (see run).
func (a *Applier) failed(written, riders []*batchItem, err error) {
	if len(written) > 1 && !errors.Is(err, nomadlike.ErrNotLeader) {
		a.logger.Warn("plan batch refused, writing its plans one by one", "plans", len(written), "error", err)
		for _, it := range append(written, riders...) {
			it.f.alone = true
			a.queue.pushBack(it.f)
		}
		return
	}
	for _, it := range append(written, riders...) {
		it.f.respond(nil, fmt.Errorf("commit plan for eval %s: %w", it.f.plan.EvalID, err))
	}
}

// Size is the allocations a plan places or stops.
func Size(p *nomadlike.Plan) int {
	n := 0
	for _, m := range []map[string][]*nomadlike.Allocation{p.NodeUpdate, p.NodeAllocation} {
		for _, allocs := range m {
			n += len(allocs)
		}
	}
	return n
}

// overlay is a NodeState that shows base with in-flight and batched plan
// results applied: changed holds their stops and placements by node, in
// the order they were accepted; they replace base's allocations by ID and
// new ones are added. Applying a result that base already includes changes
// nothing, so the view is right whether or not a write landed.
type overlay struct {
	base    NodeState
	changed map[string][]*nomadlike.Allocation
}

func (o overlay) NodeByID(id string) (*nomadlike.Node, error) { return o.base.NodeByID(id) }
func (o overlay) LatestIndex() (uint64, error)                { return o.base.LatestIndex() }

func (o overlay) AllocsByNode(nodeID string) ([]*nomadlike.Allocation, error) {
	allocs, err := o.base.AllocsByNode(nodeID)
	if err != nil {
		return nil, err
	}
	changed := o.changed[nodeID]
	if len(changed) == 0 {
		return allocs, nil
	}
	byID := make(map[string]int, len(allocs))
	out := append(make([]*nomadlike.Allocation, 0, len(allocs)+len(changed)), allocs...)
	for i, a := range out {
		byID[a.ID] = i
	}
	for _, a := range changed {
		if i, ok := byID[a.ID]; ok {
			out[i] = a
			continue
		}
		byID[a.ID] = len(out)
		out = append(out, a)
	}
	return out, nil
}
