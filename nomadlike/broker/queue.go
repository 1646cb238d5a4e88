package broker

import (
	"container/heap"
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// before orders ready evaluations: higher priority first, then FIFO by
// CreateIndex, then by ID so the order is total and deterministic.
func before(a, b *nomadlike.Evaluation) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex < b.CreateIndex
	}
	return a.ID < b.ID
}

// evalHeap is a heap of ready evaluations ordered by before.
type evalHeap []*nomadlike.Evaluation

func (h evalHeap) Len() int           { return len(h) }
func (h evalHeap) Less(i, j int) bool { return before(h[i], h[j]) }
func (h evalHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *evalHeap) Push(x any)        { *h = append(*h, x.(*nomadlike.Evaluation)) }
func (h *evalHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// delayedEval is an evaluation that becomes ready at a time. holdsJob is set
// for nacked evaluations, which keep their job's slot while they back off.
type delayedEval struct {
	eval     *nomadlike.Evaluation
	at       time.Time
	holdsJob bool
}

type delayHeap []*delayedEval

func (h delayHeap) Len() int { return len(h) }
func (h delayHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].eval.ID < h[j].eval.ID
}
func (h delayHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)   { *h = append(*h, x.(*delayedEval)) }
func (h *delayHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return d
}

func (b *EvalBroker) pushDelayedLocked(d *delayedEval) {
	heap.Push(&b.delayed, d)
	select {
	case b.delayCh <- struct{}{}:
	default:
	}
}

// runDelayed releases delayed evaluations when they fall due. It sleeps until
// the earliest deadline and is woken early through delayCh when an earlier
// one is added. It runs while the broker is enabled.
func (b *EvalBroker) runDelayed(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		b.mu.Lock()
		now := time.Now()
		for len(b.delayed) > 0 && !b.delayed[0].at.After(now) {
			d := heap.Pop(&b.delayed).(*delayedEval)
			if d.holdsJob {
				b.pushReadyLocked(d.eval, d.eval.Type)
			} else {
				b.admitLocked(d.eval)
			}
		}
		wait := time.Hour
		if len(b.delayed) > 0 {
			wait = b.delayed[0].at.Sub(now)
		}
		b.mu.Unlock()

		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-b.delayCh:
			// Go 1.23+ timers: Reset discards a pending fire, no drain needed.
		case <-timer.C:
		}
	}
}
