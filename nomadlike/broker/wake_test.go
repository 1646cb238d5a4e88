package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// addWaiter registers a waiter as a blocked Dequeue call would.
func addWaiter(b *EvalBroker, types ...string) *waiter {
	w := &waiter{types: types, ch: make(chan struct{}, 1)}
	b.mu.Lock()
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	return w
}

func woken(w *waiter) bool { return len(w.ch) == 1 }

// TestEnqueueWakesOneWaiterOfItsType: an evaluation wakes the first waiter
// that serves its type and no other (a closed channel woke every idle
// worker for each evaluation); a waiter that gives up hands its wake-up on.
func TestEnqueueWakesOneWaiterOfItsType(t *testing.T) {
	b := newBroker(t, testConfig())
	failed := addWaiter(b, FailedQueue)
	w1 := addWaiter(b, nomadlike.JobTypeService, nomadlike.JobTypeBatch)
	w2 := addWaiter(b, nomadlike.JobTypeService)
	w3 := addWaiter(b, nomadlike.JobTypeService)
	b.Enqueue(mkEval("a", 50, 1))
	if !woken(w1) || woken(w2) || woken(w3) || woken(failed) {
		t.Fatalf("woken: w1 %v w2 %v w3 %v failed %v, want only w1", woken(w1), woken(w2), woken(w3), woken(failed))
	}
	// w1 gives up (its context ended) without dequeuing: w2 gets the turn.
	b.mu.Lock()
	b.leaveLocked(w1)
	b.mu.Unlock()
	if !woken(w2) || woken(w3) {
		t.Fatalf("after w1 left: w2 %v w3 %v, want only w2", woken(w2), woken(w3))
	}
	// A waiter that leaves before it is woken just leaves.
	b.mu.Lock()
	b.leaveLocked(w3)
	n := len(b.waiters)
	b.mu.Unlock()
	if n != 1 { // the failed-queue waiter
		t.Fatalf("%d waiters left, want 1", n)
	}
	b.SetEnabled(false)
	if !woken(failed) {
		t.Fatal("disabling the broker did not wake the remaining waiter")
	}
}

// TestDequeueManyWaitersLoseNothing: many blocked workers, of two kinds,
// and evaluations of both types arriving; every evaluation is handed out.
func TestDequeueManyWaitersLoseNothing(t *testing.T) {
	b := newBroker(t, testConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const evals = 200
	got := make(chan string, evals)
	var wg sync.WaitGroup
	for i := 0; i < 24; i++ {
		types := []string{nomadlike.JobTypeService}
		if i%3 == 0 {
			types = []string{nomadlike.JobTypeBatch, nomadlike.JobTypeService}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				e, tok, err := b.Dequeue(ctx, types)
				if err != nil {
					return
				}
				got <- e.ID
				if err := b.Ack(e.ID, tok); err != nil {
					t.Errorf("Ack: %v", err)
				}
			}
		}()
	}
	for i := 0; i < evals; i++ {
		e := mkEval("job-"+nomadlike.GenerateUUID(), 50, uint64(i+1))
		if i%2 == 0 {
			e.Type = nomadlike.JobTypeBatch
		}
		b.Enqueue(e)
	}
	seen := map[string]bool{}
	for len(seen) < evals {
		select {
		case id := <-got:
			seen[id] = true
		case <-ctx.Done():
			t.Fatalf("%d of %d evaluations handed out before the deadline", len(seen), evals)
		}
	}
	cancel()
	wg.Wait()
}
