package services

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// gatedChecks is a CheckStatus that can be held shut: ServiceStatus then
// waits until the test opens it again, as a check runner busy under its
// lock would. It counts the calls.
type gatedChecks struct {
	mu     sync.Mutex
	cond   *sync.Cond
	shut   bool
	status string
	calls  int
}

func newGatedChecks(status string) *gatedChecks {
	g := &gatedChecks{status: status}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gatedChecks) ServiceStatus(string, string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	for g.shut {
		g.cond.Wait()
	}
	return g.status
}

func (g *gatedChecks) set(shut bool, status string) {
	g.mu.Lock()
	g.shut, g.status = shut, status
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *gatedChecks) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// TestChecksChangedCoalescesAndNeverBlocks: the check runner's watcher
// calls ChecksChanged for every status change, from under its own lock.
// It must return at once even while a recompute is stuck reading the
// check status, and a burst of changes costs one more recompute of the
// allocation, on the manager's goroutine (before, every change ran its
// own recompute: a goroutine each, all waiting on the manager's lock).
func TestChecksChangedCoalescesAndNeverBlocks(t *testing.T) {
	a, node := serviceAlloc(t)
	cat := newFakeCatalog()
	checks := newGatedChecks(nomadlike.ServiceStatusPassing)
	m := startManager(t, cat, node, checks)
	m.AllocStateUpdated(a)
	waitSummary(t, cat, "map[grp:passing web:passing]")

	// A recompute gets stuck reading the status of one of the two services.
	checks.set(true, nomadlike.ServiceStatusPassing)
	before := checks.count()
	go m.ChecksChanged(a.ID) // (the old ChecksChanged was the stuck one)
	poll.Until(t, 5*time.Second, "a recompute reading the check status", func() (bool, string) {
		n := checks.count() - before
		return n == 1, fmt.Sprintf("%d calls", n)
	})

	const burst = 1000
	returned := make(chan struct{})
	go func() {
		for range burst {
			m.ChecksChanged(a.ID)
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		checks.set(false, nomadlike.ServiceStatusPassing) // let the goroutines go
		t.Fatalf("%d ChecksChanged calls did not return while a recompute was stuck", burst)
	}

	checks.set(false, nomadlike.ServiceStatusCritical)
	waitSummary(t, cat, "map[grp:critical web:critical]")
	// The stuck recompute (2 services) and one for the whole burst (2).
	if n := checks.count() - before; n > 4 {
		t.Errorf("ServiceStatus called %d times for %d changes, want at most 4 (the burst coalesced)", n, burst+1)
	}
}
