package client_test

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestWatchFetchesChangedAllocsOnly checks that the client follows its
// allocations through the index-only watch: an allocation is fetched when
// placed and when the servers stop it, not for the client's own updates.
func TestWatchFetchesChangedAllocsOnly(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	if got := e.server.Fetched(); got != 1 {
		t.Errorf("allocations fetched after the placement = %d, want 1", got)
	}
	e.server.StopAlloc(a.ID)
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusComplete)
	if got := e.server.Fetched(); got != 2 {
		t.Errorf("allocations fetched after the stop = %d, want 2", got)
	}
}
