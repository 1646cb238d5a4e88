package server

import (
	"fmt"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// evalBatcher writes the scheduler workers' evaluation updates (complete,
// failed, blocked, follow-ups) to raft, many per entry (group commit, as
// allocBatcher does for client updates): an update that finds no write in
// progress is written at once, those that arrive while one is in progress
// are written together right after it. A short batch job costs one
// evaluation update; with one raft entry each they were about half of the
// leader's entries (BENCHMARKS.md, round 5). Updates keep their order: a
// batch is written in the order the updates were added, batches one after
// the other.
type evalBatcher struct {
	s       *Server
	mu      sync.Mutex
	cur     *evalBatch
	busy    bool // the writer goroutine runs
	stopped bool
}

type evalBatch struct {
	evals []*nomadlike.Evaluation
	done  chan struct{}
	index uint64
	err   error
}

// write adds evals to the next batch and waits until it is written.
func (b *evalBatcher) write(evals []*nomadlike.Evaluation) (uint64, error) {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return 0, fmt.Errorf("update evaluations: server shutting down: %w", nomadlike.ErrNotLeader)
	}
	if b.cur == nil {
		b.cur = &evalBatch{done: make(chan struct{})}
	}
	batch := b.cur
	batch.evals = append(batch.evals, evals...)
	if !b.busy {
		b.busy = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case <-batch.done:
		return batch.index, batch.err
	case <-b.s.shutdownCh:
		return 0, fmt.Errorf("update evaluations: server shutting down: %w", nomadlike.ErrNotLeader)
	}
}

// run writes batches until none is pending.
func (b *evalBatcher) run() {
	for {
		b.mu.Lock()
		batch := b.cur
		b.cur = nil
		if batch == nil || b.stopped {
			b.busy = false
			b.mu.Unlock()
			if batch != nil {
				batch.err = fmt.Errorf("update evaluations: server shutting down: %w", nomadlike.ErrNotLeader)
				close(batch.done)
			}
			return
		}
		b.mu.Unlock()
		batch.index, batch.err = b.s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: batch.evals})
		close(batch.done)
	}
}

// stop fails what is pending and writes nothing more.
func (b *evalBatcher) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
}
