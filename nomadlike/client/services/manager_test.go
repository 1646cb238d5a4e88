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
