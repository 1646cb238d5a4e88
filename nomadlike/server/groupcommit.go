package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// groupCommitter writes items to raft many per entry (group commit): an
// add that finds no write in progress is written at once, so an idle
// cluster adds no delay; items added while a write is in progress are
// collected, then for delay() more once it ends (nil or 0: no wait), and
// written together by the one writer goroutine. Items keep their order: a
// batch is written in the order they were added, batches one after the
// other. The server has two: client allocation updates (Server.batcher) and
// the scheduler workers' evaluation updates.
type groupCommitter[T any] struct {
	write   func([]T) (uint64, error) // writes one batch; its index goes to every caller
	delay   func() time.Duration      // collecting time before each later batch
	stopCh  chan struct{}
	mu      sync.Mutex
	cur     *commitBatch[T]
	busy    bool // the writer goroutine runs
	stopped bool
}

// commitBatch is the items written together, and the outcome each of
// their callers gets once doneCh is closed.
type commitBatch[T any] struct {
	items  []T
	doneCh chan struct{}
	index  uint64
	err    error
}

func newGroupCommitter[T any](write func([]T) (uint64, error), delay func() time.Duration) *groupCommitter[T] {
	return &groupCommitter[T]{write: write, delay: delay, stopCh: make(chan struct{})}
}

// add puts items in the next batch and returns it (nil once stopped).
func (g *groupCommitter[T]) add(items []T) *commitBatch[T] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return nil
	}
	if g.cur == nil {
		g.cur = &commitBatch[T]{doneCh: make(chan struct{})}
	}
	g.cur.items = append(g.cur.items, items...)
	if !g.busy {
		g.busy = true
		go g.run()
	}
	return g.cur
}

// commit adds items and waits until their batch is written; what stops
// before is an error wrapping nomadlike.ErrNotLeader.
func (g *groupCommitter[T]) commit(items []T) (uint64, error) {
	b := g.add(items)
	if b == nil {
		return 0, fmt.Errorf("server shutting down: %w", nomadlike.ErrNotLeader)
	}
	<-b.doneCh
	return b.index, b.err
}

// run writes batches until none is pending: the first at once, each later
// one after collecting for delay().
func (g *groupCommitter[T]) run() {
	for {
		g.flush()
		g.mu.Lock()
		if g.cur == nil || g.stopped {
			g.busy = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		if g.delay == nil {
			continue
		}
		if d := g.delay(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-g.stopCh:
				t.Stop()
			}
		}
	}
}

// flush writes the collected batch, if any.
func (g *groupCommitter[T]) flush() {
	g.mu.Lock()
	batch := g.cur
	g.cur = nil
	g.mu.Unlock()
	if batch == nil {
		return
	}
	batch.index, batch.err = g.write(batch.items)
	close(batch.doneCh)
}

// stop writes nothing more: a pending batch is failed (one being written
// finishes).
func (g *groupCommitter[T]) stop() {
	g.mu.Lock()
	if !g.stopped {
		close(g.stopCh)
	}
	g.stopped = true
	batch := g.cur
	g.cur = nil
	g.mu.Unlock()
	if batch != nil {
		batch.err = fmt.Errorf("server shutting down: %w", nomadlike.ErrNotLeader)
		close(batch.doneCh)
	}
}
