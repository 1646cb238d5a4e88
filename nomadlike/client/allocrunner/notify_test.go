package allocrunner

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
)

// reentrantUpdater reads its runner's allocation from inside
// AllocStateUpdated, as the client's catalog does (the check status of a
// service asks the runner for its job).
type reentrantUpdater struct {
	mu     sync.Mutex
	ar     *AllocRunner
	states []string
}

func (u *reentrantUpdater) AllocStateUpdated(a *nomadlike.Allocation) {
	u.mu.Lock()
	ar := u.ar
	u.mu.Unlock()
	if ar != nil {
		_ = ar.Alloc()
	}
	u.mu.Lock()
	u.states = append(u.states, a.ClientStatus)
	u.mu.Unlock()
}

// TestUpdaterMayCallBack: an updater that calls back into the runner
// does not deadlock it; the task still starts and the updater hears of it.
// (Before the fix taskStateUpdated called the updater under the runner's
// lock and every task start hung once checks met the catalog.)
func TestUpdaterMayCallBack(t *testing.T) {
	h := newHarness(t)
	u := &reentrantUpdater{}
	a := batchAlloc(task("web", map[string]any{"run_for": "1m"}))
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: fakeDrivers{clienttest.NewFakeDriver(h.host, "fake")},
		DB: h.db, Node: func() *nomadlike.Node { return h.node }, Updater: u,
		Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	u.mu.Lock()
	u.ar = ar
	u.mu.Unlock()
	go ar.Run()
	t.Cleanup(ar.Destroy)
	poll.Until(t, 10*time.Second, "the update", func() (bool, string) {
		u.mu.Lock()
		defer u.mu.Unlock()
		return slices.Contains(u.states, nomadlike.AllocClientStatusRunning), fmt.Sprintf("updater heard %v, want running", u.states)
	})
}
