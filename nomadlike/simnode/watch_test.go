package simnode

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestWatchFetchesOnlyChanges checks that nodes follow their allocations
// with the index-only watch and fetch an allocation only when the servers
// changed it: once when placed, once when stopped, never for their own
// status updates.
func TestWatchFetchesOnlyChanges(t *testing.T) {
	f := newFakeServer(t, time.Minute)
	s := startSim(t, Config{Servers: []string{f.addr()}, Count: 2})
	var ids []string
	for _, n := range s.NodeIDs() {
		ids = append(ids, f.place(fixture.Job(), n, 3)...)
	}
	allIn := func(status string) func() bool {
		return func() bool {
			for _, id := range ids {
				if f.alloc(id).ClientStatus != status {
					return false
				}
			}
			return true
		}
	}
	poll.UntilTrue(t, 10*time.Second, "allocations running", allIn(nomadlike.AllocClientStatusRunning))
	f.stop(ids)
	poll.UntilTrue(t, 10*time.Second, "allocations complete", allIn(nomadlike.AllocClientStatusComplete))

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.legacy != 0 {
		t.Errorf("index watch made %d full allocation queries, want 0", f.legacy)
	}
	for _, id := range ids {
		if got := f.fetched[id]; got != 2 {
			t.Errorf("alloc %s fetched %d times, want 2 (placed, stopped)", id, got)
		}
	}
}
