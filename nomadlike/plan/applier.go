package plan

import (
	"context"
	"errors"
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
	// MaxBatchPlans and MaxBatchAllocs bound a group commit when Committer
	// is a BatchCommitter: at most that many plans, with at most that many
	// placements and stops together, in one write (defaults
	// DefaultMaxBatchPlans and DefaultMaxBatchAllocs). A plan with more
	// allocations than MaxBatchAllocs is committed alone with Commit.
	MaxBatchPlans  int
	MaxBatchAllocs int
}

// Group commit defaults: see Config.MaxBatchPlans. A batch is one state
// store transaction; go-immutable-radix tracks about 8,000 changed tree
// nodes per transaction before its commit gets slow, and a one-placement
// plan changes about twenty (allocation indexes, summary, job status,
// evaluation).
const (
	DefaultMaxBatchPlans  = 64
	DefaultMaxBatchAllocs = 1000
)

// BatchCommitter is a Committer that also writes several accepted plans as
// one write that is applied whole or not at all (the server: one raft
// entry, one state store transaction). The applier then commits the plans
// that queued up while the previous write was in flight together, each
// checked against the ones before it (group commit).
type BatchCommitter interface {
	Committer
	// CommitBatch starts writing cs, in order, all or none.
	CommitBatch(cs []*Commit) (CommitFuture, error)
}

// Stats counts what the applier did since it was created.
type Stats struct {
	Pending  int    // plans waiting in the queue
	Applied  uint64 // plans committed in full
	Partial  uint64 // plans committed in part (or not at all) because nodes were rejected
	Rejected uint64 // node rejections
	Commits  uint64 // writes started (a write carries one plan, or several: group commit)
}

// Applier is the leader's plan queue and its single applier goroutine.
type Applier struct {
	cfg    Config
	logger hclog.Logger
	queue  *queue

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}

	applied, partial, rejected, commits atomic.Uint64
}

// NewApplier returns a disabled applier.
func NewApplier(cfg Config) (*Applier, error) {
	if cfg.Snapshot == nil || cfg.Committer == nil {
		return nil, errors.New("plan: Config.Snapshot and Config.Committer are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.MaxBatchPlans <= 0 {
		cfg.MaxBatchPlans = DefaultMaxBatchPlans
	}
	if cfg.MaxBatchAllocs <= 0 {
		cfg.MaxBatchAllocs = DefaultMaxBatchAllocs
	}
	if _, ok := cfg.Committer.(BatchCommitter); !ok {
		cfg.MaxBatchPlans = 1
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
		Commits:  a.commits.Load(),
	}
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
