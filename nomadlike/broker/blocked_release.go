package broker

import (
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/queue"
)

// DefaultReleaseTimeout is how long the release line waits for a handed-over
// evaluation to settle before it hands over the next one anyway (a lost or
// long evaluation must not stall the queue).
const DefaultReleaseTimeout = 10 * time.Second

// release is the ordered line of unblocked evaluations of BlockedEvals. At
// most one of them (inflight) is with the broker at a time. Its fields are
// guarded by BlockedEvals.mu.
type release struct {
	line     []*nomadlike.Evaluation // queue order (queue.Less)
	inflight *jobKey                 // job of the evaluation with the broker
	gen      uint64                  // bumped at every hand-over, for the timer
	timer    *time.Timer
	timeout  time.Duration
}

// SetReleaseTimeout changes the release timeout (tests use short ones).
func (b *BlockedEvals) SetReleaseTimeout(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timeout = d
}

func (b *BlockedEvals) resetReleaseLocked() {
	b.line, b.inflight = nil, nil
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
}

// lineUpLocked puts e in the release line at its place.
func (b *BlockedEvals) lineUpLocked(e *nomadlike.Evaluation) {
	b.line = queue.Insert(b.line, e)
}

// waitingLocked returns the waiting evaluation of job k: blocked or in the
// release line.
func (b *BlockedEvals) waitingLocked(k jobKey) *nomadlike.Evaluation {
	if e := b.jobs[k]; e != nil {
		return e
	}
	for _, e := range b.line {
		if keyOf(e) == k {
			return e
		}
	}
	return nil
}

// removeLocked forgets the waiting evaluation of job k.
func (b *BlockedEvals) removeLocked(k jobKey) {
	delete(b.jobs, k)
	for i, e := range b.line {
		if keyOf(e) == k {
			b.line = append(b.line[:i], b.line[i+1:]...)
			return
		}
	}
}

// settleLocked ends the turn of job k if its evaluation is the one with the
// broker.
func (b *BlockedEvals) settleLocked(k jobKey) {
	if b.inflight != nil && *b.inflight == k {
		b.inflight = nil
	}
}

// nextLocked takes the head of the line when no evaluation is with the
// broker; the caller hands it over (hand) after unlocking.
func (b *BlockedEvals) nextLocked() *nomadlike.Evaluation {
	if !b.enabled || b.inflight != nil || len(b.line) == 0 {
		return nil
	}
	e := b.line[0]
	b.line = b.line[1:]
	k := keyOf(e)
	b.inflight = &k
	b.gen++
	gen := b.gen
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timer = time.AfterFunc(b.timeout, func() { b.expire(gen) })
	return e
}

// hand gives e (if any) to the broker.
func (b *BlockedEvals) hand(e *nomadlike.Evaluation) {
	if e != nil {
		b.broker.Enqueue(e)
	}
}

// expire ends a turn that did not settle within the timeout.
func (b *BlockedEvals) expire(gen uint64) {
	b.mu.Lock()
	if gen != b.gen || b.inflight == nil {
		b.mu.Unlock()
		return
	}
	b.logger.Debug("released evaluation did not settle in time, releasing the next", "job", b.inflight.id)
	b.inflight = nil
	out := b.nextLocked()
	b.mu.Unlock()
	b.hand(out)
}

// Settle ends the turn of a job's released evaluation: the server calls it
// when an evaluation of the job completed, failed or was cancelled. The next
// evaluation of the release line goes to the broker.
func (b *BlockedEvals) Settle(namespace, jobID string) {
	b.mu.Lock()
	b.settleLocked(jobKey{namespace, jobID})
	out := b.nextLocked()
	b.mu.Unlock()
	b.hand(out)
}

func (b *BlockedEvals) lineCopyLocked() []*nomadlike.Evaluation {
	return append([]*nomadlike.Evaluation(nil), b.line...)
}

func (b *BlockedEvals) jobsLocked() []*nomadlike.Evaluation {
	out := make([]*nomadlike.Evaluation, 0, len(b.jobs))
	for _, e := range b.jobs {
		out = append(out, e)
	}
	return out
}

// Queue returns the waiting evaluations (blocked and in the release line,
// not the one with the broker) in queue order.
func (b *BlockedEvals) Queue() []*nomadlike.Evaluation {
	b.mu.Lock()
	out := append(b.lineCopyLocked(), b.jobsLocked()...)
	b.mu.Unlock()
	queue.Sort(out)
	return out
}
