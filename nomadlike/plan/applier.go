package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Commit is an evaluated plan ready to be written through raft: the plan as
// submitted (for its Job and EvalID) and the part of it that was accepted.
type Commit struct {
	Plan   *nomadlike.Plan
	Result *nomadlike.PlanResult
}

// CommitFuture is a commit in progress.
type CommitFuture interface {
	// Wait blocks until the commit is applied to the leader's state store
	// and returns its raft index, or the error that stopped it.
	Wait() (index uint64, err error)
}

// Committer writes accepted plans. The server's implementation encodes the
// commit as a raft log entry and applies it; tests write to a store.
type Committer interface {
	// Commit starts writing c and returns a future for its index. Commits
	// must be applied in the order they are started.
	Commit(c *Commit) (CommitFuture, error)
}

// SnapshotFunc returns a view of the state at or after minIndex.
type SnapshotFunc func(ctx context.Context, minIndex uint64) (NodeState, error)

// Config wires an Applier.
type Config struct {
	// Snapshot reads the newest state; required.
	Snapshot SnapshotFunc
	// Committer writes accepted plans; required.
	Committer Committer
	// CheckToken, when set, is called before a plan is evaluated and
	// rejects plans whose evaluation is no longer outstanding with that
	// token (the broker took it back after a nack timeout), so a worker that
	// lost its evaluation cannot commit behind the one that has it now.
	CheckToken func(evalID, token string) error
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// Stats counts what the applier did since it was created.
type Stats struct {
	Pending  int    // plans waiting in the queue
	Applied  uint64 // plans committed in full
	Partial  uint64 // plans committed in part (or not at all) because nodes were rejected
	Rejected uint64 // node rejections
}

// Applier is the leader's plan queue and its single applier goroutine.
type Applier struct {
	cfg    Config
	logger hclog.Logger
	queue  *queue

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	applied, partial, rejected atomic.Uint64
}

// NewApplier returns a disabled applier.
func NewApplier(cfg Config) (*Applier, error) {
	if cfg.Snapshot == nil || cfg.Committer == nil {
		return nil, errors.New("plan: Config.Snapshot and Config.Committer are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Applier{cfg: cfg, logger: cfg.Logger.Named("plan_applier"), queue: newQueue()}, nil
}

// SetEnabled starts (leadership gained) or stops (lost) the applier. Stopping
// fails queued plans with an error wrapping nomadlike.ErrNotLeader and waits
// for the plan being committed, if any, to be answered.
func (a *Applier) SetEnabled(enabled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if enabled == (a.cancel != nil) {
		return
	}
	if enabled {
		ctx, cancel := context.WithCancel(context.Background())
		a.cancel, a.done = cancel, make(chan struct{})
		a.queue.setEnabled(true)
		go a.run(ctx, a.done)
		return
	}
	a.queue.setEnabled(false)
	a.cancel()
	<-a.done
	a.cancel, a.done = nil, nil
}

// Submit queues a plan. Plans are applied one at a time, higher Priority
// first, then in submission order. It fails with an error wrapping
// nomadlike.ErrNotLeader when the applier is disabled.
func (a *Applier) Submit(p *nomadlike.Plan) (*Future, error) {
	return a.queue.push(p)
}

// Apply submits a plan and waits for its result.
func (a *Applier) Apply(ctx context.Context, p *nomadlike.Plan) (*nomadlike.PlanResult, error) {
	f, err := a.Submit(p)
	if err != nil {
		return nil, err
	}
	return f.Wait(ctx)
}

// Stats returns the applier's counters.
func (a *Applier) Stats() Stats {
	return Stats{
		Pending:  a.queue.len(),
		Applied:  a.applied.Load(),
		Partial:  a.partial.Load(),
		Rejected: a.rejected.Load(),
	}
}

// inflight is a commit that has been started but not yet answered.
type inflight struct {
	view  *nomadlike.PlanResult // private copy of the committed maps, for overlay
	done  chan struct{}
	index uint64
	err   error
}

// run is the applier goroutine.
//
// Why one goroutine: fit is a property of a node's whole set of allocations,
// and plans from parallel workers may each fit on their own yet not
// together. Checking and committing strictly one plan at a time, each
// against a state that contains every plan committed before it, is what
// makes "no node is ever over-committed" hold no matter how stale the
// workers' snapshots were.
//
// Why the overlap: a raft commit takes a network round trip and an fsync,
// much longer than checking a plan. So while plan N is being committed the
// loop already takes plan N+1 and evaluates it against the newest snapshot
// with N's accepted allocations laid over it (overlay). That view equals the
// state after N whether or not the snapshot already contains N. Before N+1
// is committed the loop waits for N: if N failed, N+1 was checked against
// allocations that do not exist (too pessimistic, and the overlay may hide
// stops N did not make), so N+1 is evaluated again on a fresh snapshot. Only
// one commit is ever in flight, so commits land in queue order and the
// snapshot floor (lastIndex) only moves forward.
func (a *Applier) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	var lastIndex uint64
	var prev *inflight
	// settle waits for the in-flight commit and advances lastIndex; it
	// reports whether that commit succeeded.
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
		p := f.plan
		if a.cfg.CheckToken != nil {
			if err := a.cfg.CheckToken(p.EvalID, p.EvalToken); err != nil {
				f.respond(nil, fmt.Errorf("plan for eval %s: %w", p.EvalID, err))
				continue
			}
		}
		result, rejected, err := a.evaluate(ctx, p, lastIndex, prev)
		if err == nil && prev != nil {
			if !settle() {
				result, rejected, err = a.evaluate(ctx, p, lastIndex, nil)
			}
		}
		if err != nil {
			f.respond(nil, err)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		a.rejected.Add(uint64(len(rejected)))
		if len(rejected) > 0 {
			a.partial.Add(1)
			if result.RefreshIndex < lastIndex {
				result.RefreshIndex = lastIndex
			}
			a.logger.Debug("plan partly rejected", "eval_id", p.EvalID, "rejected_nodes", len(rejected),
				"first_node", rejected[0].NodeID, "reason", rejected[0].Reason, "all_at_once", p.AllAtOnce)
		} else {
			a.applied.Add(1)
		}
		if len(result.NodeAllocation) == 0 && len(result.NodeUpdate) == 0 &&
			result.Deployment == nil && len(result.DeploymentUpdates) == 0 {
			f.respond(result, nil)
			continue
		}
		cf, err := a.cfg.Committer.Commit(&Commit{Plan: p, Result: result})
		if err != nil {
			f.respond(nil, fmt.Errorf("commit plan for eval %s: %w", p.EvalID, err))
			continue
		}
		cur := &inflight{
			view: &nomadlike.PlanResult{
				NodeUpdate:     maps.Clone(result.NodeUpdate),
				NodeAllocation: maps.Clone(result.NodeAllocation),
			},
			done: make(chan struct{}),
		}
		prev = cur
		go func() {
			idx, err := cf.Wait()
			cur.index, cur.err = idx, err
			close(cur.done)
			if err != nil {
				f.respond(nil, fmt.Errorf("commit plan for eval %s: %w", p.EvalID, err))
				return
			}
			result.AllocIndex = idx
			f.respond(result, nil)
		}()
	}
}

// evaluate checks p against a snapshot at or after minIndex, with prev's
// accepted allocations laid over it when a commit is in flight.
func (a *Applier) evaluate(ctx context.Context, p *nomadlike.Plan, minIndex uint64, prev *inflight) (*nomadlike.PlanResult, []Rejection, error) {
	snap, err := a.cfg.Snapshot(ctx, minIndex)
	if err != nil {
		return nil, nil, fmt.Errorf("plan for eval %s: snapshot at index %d: %w", p.EvalID, minIndex, err)
	}
	var st NodeState = snap
	if prev != nil {
		st = overlay{base: snap, result: prev.view}
	}
	return Evaluate(st, p)
}

// Allocs flattens the accepted result into the placed or updated
// allocations and the stopped ones, in node ID order, as the state store's
// plan-results request takes them. Placed allocations that carry the plan's
// own job come back as shallow copies without it: the request carries the
// job once and the state store gives every such allocation the one stored
// copy of that job version, instead of a decoded copy per allocation in the
// raft entry.
func (c *Commit) Allocs() (updated, stopped []*nomadlike.Allocation) {
	for _, id := range sortedKeys(c.Result.NodeAllocation) {
		for _, a := range c.Result.NodeAllocation[id] {
			updated = append(updated, c.withoutPlanJob(a))
		}
	}
	for _, id := range sortedKeys(c.Result.NodeUpdate) {
		stopped = append(stopped, c.Result.NodeUpdate[id]...)
	}
	return updated, stopped
}

// withoutPlanJob returns a, or a shallow copy without Job when its Job is
// the plan's job version.
func (c *Commit) withoutPlanJob(a *nomadlike.Allocation) *nomadlike.Allocation {
	pj := c.Plan.Job
	if a.Job == nil || pj == nil || (a.Job != pj &&
		(a.Job.Namespace != pj.Namespace || a.Job.ID != pj.ID || a.Job.Version != pj.Version || a.Job.JobModifyIndex != pj.JobModifyIndex)) {
		return a
	}
	cp := *a
	cp.Job = nil
	return &cp
}

func sortedKeys(m map[string][]*nomadlike.Allocation) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
