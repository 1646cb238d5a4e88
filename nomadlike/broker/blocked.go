package broker

import (
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Enqueuer receives evaluations that are ready to run. *EvalBroker is one.
type Enqueuer interface {
	Enqueue(eval *nomadlike.Evaluation)
}

// BlockedStats counts blocked evaluations.
type BlockedStats struct {
	TotalBlocked    int
	TotalEscaped    int // blocked on no particular node class
	TotalDuplicates int // superseded, waiting to be cancelled
}

// BlockedEvals holds evaluations that could not place every allocation until
// the cluster gains capacity.
//
// Capacity appears per node, so Unblock takes the node's class: an
// evaluation whose ClassEligibility says that class was infeasible for the
// job stays blocked, every other one (eligible class, unknown class, or an
// evaluation that escaped class-based feasibility) goes back to the broker.
// There is a race between a scheduler taking its snapshot and the blocked
// evaluation reaching this set: capacity may appear in between, and the
// unblock would be missed. So each Unblock records its raft index per class,
// and Block re-queues at once an evaluation whose SnapshotIndex is older than
// a relevant unblock. Only the newest blocked evaluation of a job is kept;
// an older one is superseded and handed to the server through Duplicates to
// be cancelled.
//
// Unblocked evaluations do not all go to the broker at once: they join a
// release line in queue order (package queue: priority, then submission)
// and are handed over one at a time; the next goes when the previous one
// settled (Settle, a new Block or Untrack of its job, or ReleaseTimeout).
// So a lower-priority job never takes freed capacity while a higher-priority
// one that fits is still waiting (nomadlike's queue).
type BlockedEvals struct {
	broker Enqueuer
	logger hclog.Logger

	mu           sync.Mutex
	enabled      bool
	jobs         map[jobKey]*nomadlike.Evaluation
	classIndex   map[string]uint64 // class -> raft index of its last unblock
	anyIndex     uint64            // raft index of the last unblock of any class
	duplicates   []*nomadlike.Evaluation
	duplicatesCh chan struct{}

	release // the ordered release line (blocked_release.go)
}

// NewBlockedEvals returns a disabled set that unblocks into broker.
func NewBlockedEvals(broker Enqueuer, logger hclog.Logger) *BlockedEvals {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &BlockedEvals{
		broker:       broker,
		logger:       logger.Named("blocked_evals"),
		jobs:         map[jobKey]*nomadlike.Evaluation{},
		classIndex:   map[string]uint64{},
		duplicatesCh: make(chan struct{}, 1),
		release:      release{timeout: DefaultReleaseTimeout},
	}
}

// SetEnabled turns the set on or off; turning it off drops its contents.
func (b *BlockedEvals) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = enabled
	if !enabled {
		b.jobs = map[jobKey]*nomadlike.Evaluation{}
		b.classIndex = map[string]uint64{}
		b.anyIndex = 0
		b.duplicates = nil
		b.resetReleaseLocked()
	}
}

// Block parks eval until capacity appears. When an unblock newer than the
// evaluation's snapshot was already seen, eval goes straight to the broker.
func (b *BlockedEvals) Block(eval *nomadlike.Evaluation) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	k := keyOf(eval)
	b.settleLocked(k) // the released evaluation of this job came back blocked
	if old := b.waitingLocked(k); old != nil {
		if old.ID == eval.ID {
			b.mu.Unlock()
			return
		}
		if old.CreateIndex > eval.CreateIndex {
			b.addDuplicateLocked(eval)
			b.mu.Unlock()
			return
		}
		b.removeLocked(k)
		b.addDuplicateLocked(old)
	}
	if b.missedUnblockLocked(eval) {
		b.logger.Debug("capacity changed since the evaluation's snapshot, re-queueing", "eval_id", eval.ID)
		b.lineUpLocked(eval)
	} else {
		b.jobs[k] = eval
	}
	out := b.nextLocked()
	b.mu.Unlock()
	b.hand(out)
}

func (b *BlockedEvals) addDuplicateLocked(e *nomadlike.Evaluation) {
	b.duplicates = append(b.duplicates, e)
	select {
	case b.duplicatesCh <- struct{}{}:
	default:
	}
}

func eligibleFor(e *nomadlike.Evaluation, class string) bool {
	if e.EscapedComputedClass || len(e.ClassEligibility) == 0 {
		return true
	}
	elig, known := e.ClassEligibility[class]
	return !known || elig
}

func (b *BlockedEvals) missedUnblockLocked(e *nomadlike.Evaluation) bool {
	if e.EscapedComputedClass || len(e.ClassEligibility) == 0 {
		return b.anyIndex > e.SnapshotIndex
	}
	for class, idx := range b.classIndex {
		if idx > e.SnapshotIndex && eligibleFor(e, class) {
			return true
		}
	}
	return false
}

// Unblock hands to the broker every blocked evaluation that a node of class
// could help, recording index as the raft index of the capacity change.
func (b *BlockedEvals) Unblock(class string, index uint64) {
	b.mu.Lock()
	if !b.enabled {
		b.mu.Unlock()
		return
	}
	if index > b.classIndex[class] {
		b.classIndex[class] = index
	}
	if index > b.anyIndex {
		b.anyIndex = index
	}
	n := 0
	for k, e := range b.jobs {
		if eligibleFor(e, class) {
			delete(b.jobs, k)
			b.lineUpLocked(e)
			n++
		}
	}
	out := b.nextLocked()
	b.mu.Unlock()
	b.hand(out)
	if n > 0 {
		b.logger.Debug("unblocked evaluations", "class", class, "index", index, "count", n)
	}
}

// Untrack forgets the blocked evaluation of a job, for example when the job
// was deregistered or a later evaluation placed everything, and hands it to
// Duplicates to be cancelled.
func (b *BlockedEvals) Untrack(namespace, jobID string) {
	b.mu.Lock()
	k := jobKey{namespace, jobID}
	b.settleLocked(k)
	if e := b.waitingLocked(k); e != nil {
		b.removeLocked(k)
		b.addDuplicateLocked(e)
	}
	out := b.nextLocked()
	b.mu.Unlock()
	b.hand(out)
}

// Get returns the waiting (blocked, or unblocked and in the release line)
// evaluation of a job, or nil.
func (b *BlockedEvals) Get(namespace, jobID string) *nomadlike.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waitingLocked(jobKey{namespace, jobID})
}

// DuplicatesCh is signalled when Duplicates has something to return.
func (b *BlockedEvals) DuplicatesCh() <-chan struct{} { return b.duplicatesCh }

// Duplicates removes and returns the blocked evaluations superseded by a
// newer one of the same job; the server marks them cancelled.
func (b *BlockedEvals) Duplicates() []*nomadlike.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.duplicates
	b.duplicates = nil
	return out
}

// Stats counts the blocked evaluations.
func (b *BlockedEvals) Stats() BlockedStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BlockedStats{TotalBlocked: len(b.jobs) + len(b.line), TotalDuplicates: len(b.duplicates)}
	for _, e := range append(b.lineCopyLocked(), b.jobsLocked()...) {
		if e.EscapedComputedClass || len(e.ClassEligibility) == 0 {
			s.TotalEscaped++
		}
	}
	return s
}
