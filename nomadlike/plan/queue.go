package plan

import (
	"container/heap"
	"context"
	"fmt"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Future is the pending answer to a submitted plan.
type Future struct {
	plan   *nomadlike.Plan
	seq    uint64
	done   chan struct{}
	result *nomadlike.PlanResult
	err    error
	// alone: commit this plan in a write of its own (its batch was refused).
	alone bool
}

func newFuture(p *nomadlike.Plan, seq uint64) *Future {
	return &Future{plan: p, seq: seq, done: make(chan struct{})}
}

// respond completes the future; only the first call counts.
func (f *Future) respond(r *nomadlike.PlanResult, err error) {
	select {
	case <-f.done:
		return
	default:
	}
	f.result, f.err = r, err
	close(f.done)
}

// Wait blocks until the plan is applied (or rejected) and returns the result,
// or until ctx ends. A result that committed nothing has AllocIndex 0.
func (f *Future) Wait(ctx context.Context) (*nomadlike.PlanResult, error) {
	select {
	case <-f.done:
		return f.result, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// queue orders pending plans by priority, then submission order.
type queue struct {
	mu      sync.Mutex
	enabled bool
	seq     uint64
	items   futureHeap
	readyCh chan struct{}
}

func newQueue() *queue { return &queue{readyCh: make(chan struct{})} }

func (q *queue) setEnabled(enabled bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enabled = enabled
	if !enabled {
		for _, f := range q.items {
			f.respond(nil, fmt.Errorf("plan for eval %s: %w", f.plan.EvalID, nomadlike.ErrNotLeader))
		}
		q.items = nil
	}
	close(q.readyCh)
	q.readyCh = make(chan struct{})
}

func (q *queue) push(p *nomadlike.Plan) (*Future, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.enabled {
		return nil, fmt.Errorf("plan queue disabled: %w", nomadlike.ErrNotLeader)
	}
	q.seq++
	f := newFuture(p, q.seq)
	heap.Push(&q.items, f)
	close(q.readyCh)
	q.readyCh = make(chan struct{})
	return f, nil
}

// pop blocks until a plan is queued or ctx ends.
func (q *queue) pop(ctx context.Context) (*Future, error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			f := heap.Pop(&q.items).(*Future)
			q.mu.Unlock()
			return f, nil
		}
		ch := q.readyCh
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryPop returns the next plan, or nil and a channel closed when one is
// queued.
func (q *queue) tryPop() (*Future, <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 {
		return heap.Pop(&q.items).(*Future), nil
	}
	return nil, q.readyCh
}

// pushBack queues a popped plan again, in its old place; when the queue is
// disabled it is answered with an error wrapping nomadlike.ErrNotLeader.
func (q *queue) pushBack(f *Future) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.enabled {
		f.respond(nil, fmt.Errorf("plan for eval %s: %w", f.plan.EvalID, nomadlike.ErrNotLeader))
		return
	}
	heap.Push(&q.items, f)
	close(q.readyCh)
	q.readyCh = make(chan struct{})
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

type futureHeap []*Future

func (h futureHeap) Len() int { return len(h) }
func (h futureHeap) Less(i, j int) bool {
	if h[i].plan.Priority != h[j].plan.Priority {
		return h[i].plan.Priority > h[j].plan.Priority
	}
	return h[i].seq < h[j].seq
}
func (h futureHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *futureHeap) Push(x any)   { *h = append(*h, x.(*Future)) }
func (h *futureHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return f
}
