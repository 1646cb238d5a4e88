package checks

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Config configures a Manager.
type Config struct {
	Logger hclog.Logger
	// Workers is the number of goroutines running probes (default 32): a
	// probe blocks one for at most its timeout.
	Workers int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Manager runs every check of a client's allocations.
type Manager struct {
	logger  hclog.Logger
	now     func() time.Time
	dueCh   chan *check
	workers int

	mu       sync.Mutex
	queue    checkHeap
	allocs   map[string]*allocChecks
	wakeCh   chan struct{}
	watchers watcherSet
	// notifyMu orders status notifications with deregistration, so that
	// no change is sent after an allocation's Removed.
	notifyMu sync.Mutex
}

// allocChecks is one allocation's registered checks.
type allocChecks struct {
	alloc  *nomadlike.Allocation
	tasks  Tasks
	checks []*check
}

// New returns a manager; call Run to start its scheduler.
func New(cfg Config) *Manager {
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	n := cfg.Workers
	if n <= 0 {
		n = 32
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Manager{
		logger:  logger.Named("checks"),
		now:     now,
		dueCh:   make(chan *check, 4096),
		workers: n,
		allocs:  map[string]*allocChecks{},
		wakeCh:  make(chan struct{}, 1),
	}
}

// Register starts the checks of a's services. A registered allocation is
// replaced. Checks whose address cannot be resolved are reported critical
// with the reason.
func (m *Manager) Register(a *nomadlike.Allocation, tasks Tasks) {
	m.Deregister(a.ID)
	ac := &allocChecks{alloc: a, tasks: tasks}
	now := m.now()
	for _, ref := range services(a) {
		for _, def := range ref.svc.Checks {
			task := ref.task
			if def.TaskName != "" {
				task = def.TaskName
			}
			c := &check{
				id: checkID(a.ID, a.TaskGroup, ref.task, ref.svc.Name, def.Name), allocID: a.ID, group: a.TaskGroup,
				task: task, service: ref.svc.Name, svcTask: svcTask(ref), name: def.Name, def: def, restart: def.CheckRestart, owner: ac, index: -1,
			}
			if c.restart == nil {
				c.restart = ref.svc.CheckRestart
			}
			c.reset()
			p, err := m.newProber(a, ref, def, task, tasks)
			if err != nil {
				c.status = StatusCritical
				c.last = Result{Status: StatusCritical, Output: err.Error(), Time: now}
			} else {
				c.probe = p
				// Spread the first runs over the first interval, at most
				// firstRunWindow: an instance stays critical in the catalog
				// (out of DNS and ?passing=true) until its first result, and
				// an agent restart registers every check again.
				c.next = now.Add(spread(c.id, min(interval(def), firstRunWindow)))
			}
			ac.checks = append(ac.checks, c)
		}
	}
	if len(ac.checks) == 0 {
		return
	}
	m.mu.Lock()
	m.allocs[a.ID] = ac
	for _, c := range ac.checks {
		if c.probe != nil {
			heap.Push(&m.queue, c)
		}
	}
	m.mu.Unlock()
	m.kick()
	m.notify(ac)
}

// Deregister stops an allocation's checks.
func (m *Manager) Deregister(allocID string) {
	m.mu.Lock()
	ac := m.allocs[allocID]
	delete(m.allocs, allocID)
	if ac != nil {
		for _, c := range ac.checks {
			c.removed = true
			m.queue.remove(c)
		}
	}
	m.mu.Unlock()
	if ac == nil {
		return
	}
	for _, c := range ac.checks {
		if c.probe != nil {
			c.probe.close()
		}
	}
	m.notifyMu.Lock()
	m.watchers.removed(allocID)
	m.notifyMu.Unlock()
}

func svcTask(ref serviceRef) string {
	if ref.group {
		return ""
	}
	return ref.task
}

func interval(def *nomadlike.ServiceCheck) time.Duration {
	if def.Interval < minInterval {
		if def.Interval <= 0 {
			return DefaultInterval
		}
		return minInterval
	}
	return def.Interval
}

// spread is a stable offset in [0, d) from id, so checks registered
// together do not all run in the same instant.
func spread(id string, d time.Duration) time.Duration {
	var h uint64
	for i := 0; i < len(id); i++ {
		h = h*31 + uint64(id[i])
	}
	return time.Duration(h % uint64(d))
}

func (m *Manager) kick() {
	select {
	case m.wakeCh <- struct{}{}:
	default:
	}
}

// Run schedules checks until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; i < m.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.work(ctx)
		}()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := m.dispatchDue()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-m.wakeCh:
			timer.Stop() // Go 1.23 timers: no stale value to drain
		case <-timer.C:
		}
	}
}

// dispatchDue starts every due check and returns how long until the next.
func (m *Manager) dispatchDue() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for m.queue.Len() > 0 {
		c := m.queue[0]
		// Checks due within the slack go now, so the scheduler wakes at
		// most every slack however many checks there are.
		if c.next.After(now.Add(slack)) {
			return c.next.Sub(now)
		}
		heap.Pop(&m.queue)
		c.next = now.Add(interval(c.def))
		heap.Push(&m.queue, c)
		if c.running {
			continue // still running from last time: skip this turn
		}
		select {
		case m.dueCh <- c:
			c.running = true
		default:
			// Every worker is busy and the queue is full: skip this turn.
		}
	}
	return time.Hour
}

// work runs due checks until ctx ends.
func (m *Manager) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-m.dueCh:
			m.runCheck(c)
		}
	}
}

func (m *Manager) runCheck(c *check) {
	var r Result
	skip := !m.taskRunning(c)
	if !skip {
		timeout := c.def.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		r = c.probe.probe(ctx)
		cancel()
		r.Time = m.now()
	}
	m.finish(c, r, skip)
}

// startedAt is when the check's task last started; for a group check
// without a task, when the group's last task started.
func (c *check) startedAt() time.Time {
	tasks := []string{c.task}
	if c.task == "" {
		tasks = nil
		for _, t := range c.owner.alloc.Job.LookupTaskGroup(c.owner.alloc.TaskGroup).Tasks {
			tasks = append(tasks, t.Name)
		}
	}
	var last time.Time
	for _, t := range tasks {
		if s := c.owner.tasks.TaskState(t); s != nil && s.StartedAt.After(last) {
			last = s.StartedAt.Time
		}
	}
	return last
}

// taskRunning reports whether the check's task runs; a check of a
// stopped or restarting task is not run (and starts over when it runs).
func (m *Manager) taskRunning(c *check) bool {
	if c.task == "" {
		return true
	}
	s := c.owner.tasks.TaskState(c.task)
	return s == nil || s.State == nomadlike.TaskStateRunning
}

func (m *Manager) finish(c *check, r Result, skipped bool) {
	m.mu.Lock()
	c.running = false
	if c.removed {
		m.mu.Unlock()
		return
	}
	var changed, restart bool
	var reason string
	if skipped {
		changed = c.status != initialStatus(c.def)
		c.reset()
	} else {
		changed = c.apply(r)
		if restart = c.restartDue(r.Time, c.startedAt()); restart {
			reason = fmt.Sprintf("healthcheck: check %q unhealthy", c.name)
			c.reset()
			changed = true
		}
	}
	ac := c.owner
	m.mu.Unlock()
	if restart {
		m.restartTasks(ac, c, reason)
	}
	if changed {
		m.notify(ac)
	}
}

// restartTasks restarts the check's task, or every task of a group
// service's allocation when the check names none.
func (m *Manager) restartTasks(ac *allocChecks, c *check, reason string) {
	tasks := []string{c.task}
	if c.task == "" {
		tasks = nil
		for _, t := range ac.alloc.Job.LookupTaskGroup(ac.alloc.TaskGroup).Tasks {
			tasks = append(tasks, t.Name)
		}
	}
	for _, t := range tasks {
		if err := ac.tasks.RestartTask(t, reason); err != nil {
			m.logger.Debug("check_restart", "alloc_id", c.allocID, "task", t, "error", err)
		}
	}
}

// notify tells the allocation's runner and the status watchers.
func (m *Manager) notify(ac *allocChecks) {
	ac.tasks.ChecksChanged()
	m.notifyMu.Lock()
	m.watchers.changed(m.serviceStatuses(ac))
	m.notifyMu.Unlock()
}

// AllHealthy reports whether every check of the allocation counts as
// passing for deployment health (see on_update); true when it has none.
func (m *Manager) AllHealthy(allocID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	ac := m.allocs[allocID]
	if ac == nil {
		return true
	}
	for _, c := range ac.checks {
		if !c.healthy() {
			return false
		}
	}
	return true
}

// Len returns the number of registered checks.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ac := range m.allocs {
		n += len(ac.checks)
	}
	return n
}

func sortedChecks(ac *allocChecks) []*check {
	out := append([]*check(nil), ac.checks...)
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
