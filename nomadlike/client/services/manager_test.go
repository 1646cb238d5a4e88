package services

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// fakeCatalog is a Registrar that keeps registrations in memory and can be
// made to fail.
type fakeCatalog struct {
	mu    sync.Mutex
	regs  map[string]*nomadlike.ServiceRegistration
	fail  error
	calls int
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{regs: map[string]*nomadlike.ServiceRegistration{}}
}

func (f *fakeCatalog) Upsert(_ context.Context, regs []*nomadlike.ServiceRegistration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	for _, r := range regs {
		f.regs[r.ID] = r.Copy()
	}
	return nil
}

func (f *fakeCatalog) Deregister(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail
	}
	for _, id := range ids {
		delete(f.regs, id)
	}
	return nil
}

func (f *fakeCatalog) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

// summary is "service=status" per registration, sorted.
func (f *fakeCatalog) summary() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]string{}
	for _, r := range f.regs {
		m[r.ServiceName] = r.Status
	}
	return fmt.Sprint(m)
}

// fakeChecks is a CheckStatus whose statuses the test sets.
type fakeChecks struct {
	mu     sync.Mutex
	status map[string]string
}

func (c *fakeChecks) ServiceStatus(allocID, service string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status[allocID+"/"+service]
}

func (c *fakeChecks) set(allocID, service, status string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status[allocID+"/"+service] = status
}

func startManager(t *testing.T, cat *fakeCatalog, node *nomadlike.Node, checks CheckStatus) *Manager {
	t.Helper()
	m := New(Config{Registrar: cat, Node: func() *nomadlike.Node { return node }, Checks: checks, RetryInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

func waitSummary(t *testing.T, cat *fakeCatalog, want string) {
	t.Helper()
	poll.Until(t, 5*time.Second, "the catalog", func() (bool, string) {
		got := cat.summary()
		return got == want, "catalog = " + got + ", want " + want
	})
}

// TestManagerFollowsAllocationAndChecks: instances appear when the tasks
// run, follow the check status through the seam, come back after a
// failed send, and go for good on Deregister (a later state change does
// not bring them back).
func TestManagerFollowsAllocationAndChecks(t *testing.T) {
	a, node := serviceAlloc(t)
	cat := newFakeCatalog()
	checks := &fakeChecks{status: map[string]string{}}
	m := startManager(t, cat, node, checks)

	m.AllocStateUpdated(a)
	waitSummary(t, cat, "map[grp:passing web:passing]")

	checks.set(a.ID, "web", nomadlike.ServiceStatusCritical)
	m.ChecksChanged(a.ID)
	waitSummary(t, cat, "map[grp:passing web:critical]")

	cat.setFail(errors.New("servers unreachable"))
	checks.set(a.ID, "web", nomadlike.ServiceStatusPassing)
	m.ChecksChanged(a.ID)
	poll.Until(t, 5*time.Second, "the catalog retries", func() (bool, string) {
		cat.mu.Lock()
		defer cat.mu.Unlock()
		return cat.calls >= 5, "retries"
	})
	cat.setFail(nil)
	waitSummary(t, cat, "map[grp:passing web:passing]")

	m.Deregister(a.ID) // synchronous
	if got := cat.summary(); got != "map[]" {
		t.Fatalf("after Deregister: %s, want nothing", got)
	}
	m.AllocStateUpdated(a) // still running while shutdown_delay runs
	m.ChecksChanged(a.ID)
	m.Forget("other")
	waitSummary(t, cat, "map[]")
	if n := len(m.Sent()); n != 0 {
		t.Errorf("Sent() = %d registrations, want 0", n)
	}
}

// TestManagerDeregistersFinishedTasks: when the allocation's tasks end,
// its instances go without a kill.
func TestManagerDeregistersFinishedTasks(t *testing.T) {
	a, node := serviceAlloc(t)
	cat := newFakeCatalog()
	m := startManager(t, cat, node, nil)
	m.AllocStateUpdated(a)
	waitSummary(t, cat, "map[grp:passing web:passing]")
	done := a.Copy()
	done.ClientStatus = nomadlike.AllocClientStatusComplete
	m.AllocStateUpdated(done)
	waitSummary(t, cat, "map[]")
}

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
