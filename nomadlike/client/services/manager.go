package services

import (
	"context"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Registrar sends registrations to the servers (an adapter of the API
// client, authenticated as the node). Both calls return after commit.
type Registrar interface {
	Upsert(ctx context.Context, regs []*nomadlike.ServiceRegistration) error
	Deregister(ctx context.Context, ids []string) error
}

// CheckStatus is the seam to the client's check runner: the aggregate
// status of one service of an allocation ("passing", "warning",
// "critical"), "" when none of its checks has reported (Registrations
// then makes an instance of a service with checks critical, else
// passing). It is called under the manager's lock, from AllocStateUpdated,
// which alloc runners call under theirs: it must not call back into an
// alloc runner. The check runner calls Manager.ChecksChanged when a
// status changes.
type CheckStatus interface {
	ServiceStatus(allocID, service string) string
}

// noChecks is the CheckStatus of a client without a check runner.
type noChecks struct{}

func (noChecks) ServiceStatus(string, string) string { return nomadlike.ServiceStatusPassing }

// Config configures a Manager.
type Config struct {
	Registrar Registrar
	// Node returns the client's node (ID, Datacenter, attributes).
	Node   func() *nomadlike.Node
	Checks CheckStatus // nil: every instance passing
	Logger hclog.Logger
	// RetryInterval is the wait after a failed send (default 1s).
	RetryInterval time.Duration
	// DeregisterTimeout bounds Deregister (default 5s).
	DeregisterTimeout time.Duration
}

// maxBatch is the most registrations one call sends (the servers' limit).
const maxBatch = 1024

// Manager keeps the catalog's view of this client's instances equal to
// what its allocations should have. Safe for concurrent use.
type Manager struct {
	cfg Config
	log hclog.Logger

	mu       sync.Mutex
	allocs   map[string]*nomadlike.Allocation // latest client view
	stopping map[string]bool                  // deregistered before the kill: never again
	desired  map[string]*nomadlike.ServiceRegistration
	sent     map[string]*nomadlike.ServiceRegistration // what the servers accepted

	sendMu sync.Mutex // one send at a time
	kickCh chan struct{}

	// checksMu guards checksChanged, the allocations whose check status
	// changed since Run last recomputed them: ChecksChanged marks one
	// without waiting for mu.
	checksMu      sync.Mutex
	checksChanged map[string]struct{}
}

// New returns a manager; nothing is sent until Run.
func New(cfg Config) *Manager {
	if cfg.Checks == nil {
		cfg.Checks = noChecks{}
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.DeregisterTimeout <= 0 {
		cfg.DeregisterTimeout = 5 * time.Second
	}
	return &Manager{
		cfg: cfg, log: cfg.Logger.Named("services"),
		allocs: map[string]*nomadlike.Allocation{}, stopping: map[string]bool{},
		desired: map[string]*nomadlike.ServiceRegistration{}, sent: map[string]*nomadlike.ServiceRegistration{},
		kickCh: make(chan struct{}, 1), checksChanged: map[string]struct{}{},
	}
}

// AllocStateUpdated records an allocation's new client state (it does not
// block; the send happens in Run).
func (m *Manager) AllocStateUpdated(a *nomadlike.Allocation) {
	if a == nil {
		return
	}
	m.mu.Lock()
	if a.ClientTerminalStatus() || a.DesiredStatus != nomadlike.AllocDesiredStatusRun {
		delete(m.allocs, a.ID)
	} else if !m.stopping[a.ID] {
		m.allocs[a.ID] = a
	}
	m.recomputeLocked(a.ID)
	m.mu.Unlock()
	m.wake()
}

// ChecksChanged is the check runner's notification that a status of the
// allocation's services changed. It never blocks (the check runner calls
// it from its status watcher): it marks the allocation and wakes Run,
// whose one goroutine recomputes every marked allocation before it sends,
// so a burst of changes costs one recompute per allocation.
func (m *Manager) ChecksChanged(allocID string) {
	m.checksMu.Lock()
	m.checksChanged[allocID] = struct{}{}
	m.checksMu.Unlock()
	m.wake()
}

// recomputeChecked recomputes the allocations ChecksChanged marked.
func (m *Manager) recomputeChecked() {
	m.checksMu.Lock()
	ids := m.checksChanged
	if len(ids) > 0 {
		m.checksChanged = map[string]struct{}{}
	}
	m.checksMu.Unlock()
	if len(ids) == 0 {
		return
	}
	m.mu.Lock()
	for id := range ids {
		m.recomputeLocked(id)
	}
	m.mu.Unlock()
}

// recomputeLocked replaces the allocation's desired registrations.
func (m *Manager) recomputeLocked(allocID string) {
	for id, r := range m.desired {
		if r.AllocID == allocID {
			delete(m.desired, id)
		}
	}
	a := m.allocs[allocID]
	if a == nil || m.stopping[allocID] {
		return
	}
	status := func(service string) string { return m.cfg.Checks.ServiceStatus(allocID, service) }
	for _, r := range Registrations(a, m.cfg.Node(), status) {
		m.desired[r.ID] = r
	}
}

func (m *Manager) wake() {
	select {
	case m.kickCh <- struct{}{}:
	default:
	}
}

// Deregister removes the allocation's instances from the catalog now and
// for good (the alloc runner calls it before killing the tasks, then waits
// shutdown_delay). It returns once the servers committed, or after
// DeregisterTimeout (the servers remove a stopped allocation's instances
// themselves anyway).
func (m *Manager) Deregister(allocID string) {
	m.mu.Lock()
	m.stopping[allocID] = true
	delete(m.allocs, allocID)
	m.recomputeLocked(allocID)
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.DeregisterTimeout)
	defer cancel()
	if err := m.sync(ctx); err != nil {
		m.log.Warn("deregister services before kill", "alloc_id", allocID, "error", err)
		m.wake()
	}
}

// Forget drops what the manager knows of a destroyed allocation.
func (m *Manager) Forget(allocID string) {
	m.mu.Lock()
	delete(m.stopping, allocID)
	delete(m.allocs, allocID)
	m.recomputeLocked(allocID)
	m.mu.Unlock()
	m.wake()
}

// Run sends changes until ctx ends, retrying failed sends.
func (m *Manager) Run(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kickCh:
		case <-retry.C:
		}
		m.recomputeChecked()
		if err := m.sync(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("sync services with the servers", "error", err)
			retry.Reset(m.cfg.RetryInterval)
		}
	}
}

// sync sends the differences between desired and sent.
func (m *Manager) sync(ctx context.Context) error {
	m.sendMu.Lock()
	defer m.sendMu.Unlock()
	m.mu.Lock()
	var upserts []*nomadlike.ServiceRegistration
	var deletes []string
	for id, r := range m.desired {
		if !r.Equal(m.sent[id]) {
			upserts = append(upserts, r)
		}
	}
	for id := range m.sent {
		if m.desired[id] == nil {
			deletes = append(deletes, id)
		}
	}
	m.mu.Unlock()
	sort.Slice(upserts, func(i, j int) bool { return upserts[i].ID < upserts[j].ID })
	sort.Strings(deletes)
	for len(deletes) > 0 {
		n := min(len(deletes), maxBatch)
		if err := m.cfg.Registrar.Deregister(ctx, deletes[:n]); err != nil {
			return err
		}
		m.mu.Lock()
		for _, id := range deletes[:n] {
			delete(m.sent, id)
		}
		m.mu.Unlock()
		deletes = deletes[n:]
	}
	for len(upserts) > 0 {
		n := min(len(upserts), maxBatch)
		if err := m.cfg.Registrar.Upsert(ctx, upserts[:n]); err != nil {
			return err
		}
		m.mu.Lock()
		for _, r := range upserts[:n] {
			m.sent[r.ID] = r
		}
		m.mu.Unlock()
		upserts = upserts[n:]
	}
	return nil
}

// Sent returns the registrations the servers accepted, by ID (a copy).
func (m *Manager) Sent() map[string]*nomadlike.ServiceRegistration {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]*nomadlike.ServiceRegistration, len(m.sent))
	for k, v := range m.sent {
		out[k] = v
	}
	return out
}

// SetChecks sets the check status seam (the client's check runner) and
// recomputes every allocation's instances.
func (m *Manager) SetChecks(cs CheckStatus) {
	if cs == nil {
		cs = noChecks{}
	}
	m.mu.Lock()
	m.cfg.Checks = cs
	for id := range m.allocs {
		m.recomputeLocked(id)
	}
	m.mu.Unlock()
	m.wake()
}
