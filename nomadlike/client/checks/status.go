package checks

import "sync"

// The status seam for the service catalog.
//
// A component that registers services (the catalog) reads, per
// allocation and service, the aggregate status of the service's checks,
// and is told when it changes:
//
//	m.Watch(func(s checks.ServiceStatus) { ... })   // every change, all allocations
//	m.ServiceStatuses(allocID)                      // the current ones
//
// The aggregate is the worst reported status of the service's checks:
// critical if one is critical, else warning if one warns, else passing if
// all pass; a service with a pending check (and none failing) is pending,
// which a catalog should treat as not passing; a service without checks
// is passing. When an allocation's checks are deregistered, watchers get
// one ServiceStatus per service with Removed set.

// ServiceStatus is one service's aggregate check status in one allocation.
type ServiceStatus struct {
	AllocID string
	// Service is the service name; Task the task of a task-level service
	// ("" for a group service).
	Service string
	Task    string
	Status  Status
	// Removed is set when the allocation's checks stopped.
	Removed bool
}

// WatchFunc receives status changes. It is called from the manager's
// goroutines, one call at a time, and must not block.
type WatchFunc func(ServiceStatus)

type watcherSet struct {
	mu   sync.Mutex
	fns  []WatchFunc
	last map[string]map[string]ServiceStatus // alloc → service key → last sent
}

// Watch registers fn for every change of a service's aggregate status.
func (m *Manager) Watch(fn WatchFunc) {
	m.watchers.mu.Lock()
	defer m.watchers.mu.Unlock()
	m.watchers.fns = append(m.watchers.fns, fn)
}

// ServiceStatuses returns the aggregate status of each service with checks
// of the allocation (nil when none are registered).
func (m *Manager) ServiceStatuses(allocID string) []ServiceStatus {
	m.mu.Lock()
	ac := m.allocs[allocID]
	m.mu.Unlock()
	if ac == nil {
		return nil
	}
	return m.serviceStatuses(ac)
}

func (m *Manager) serviceStatuses(ac *allocChecks) []ServiceStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.allocs[ac.alloc.ID] != ac {
		return nil // deregistered meanwhile: watchers were told
	}
	type key struct{ svc, task string }
	agg := map[key]Status{}
	var order []key
	for _, c := range sortedChecks(ac) {
		k := key{c.service, c.svcTask}
		cur, ok := agg[k]
		if !ok {
			order = append(order, k)
			cur = StatusPassing
		}
		agg[k] = worse(cur, c.status)
	}
	out := make([]ServiceStatus, 0, len(order))
	for _, k := range order {
		out = append(out, ServiceStatus{AllocID: ac.alloc.ID, Service: k.svc, Task: k.task, Status: agg[k]})
	}
	return out
}

var rank = map[Status]int{StatusPassing: 0, StatusPending: 1, StatusWarning: 2, StatusCritical: 3}

func worse(a, b Status) Status {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// changed sends the statuses that differ from what was last sent.
func (w *watcherSet) changed(ss []ServiceStatus) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[string]map[string]ServiceStatus{}
	}
	for _, s := range ss {
		byKey := w.last[s.AllocID]
		if byKey == nil {
			byKey = map[string]ServiceStatus{}
			w.last[s.AllocID] = byKey
		}
		k := s.Service + "\x00" + s.Task
		if prev, ok := byKey[k]; ok && prev == s {
			continue
		}
		byKey[k] = s
		for _, fn := range w.fns {
			fn(s)
		}
	}
}

// removed tells the watchers that an allocation's services lost their checks.
func (w *watcherSet) removed(allocID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.last[allocID] {
		s.Removed = true
		for _, fn := range w.fns {
			fn(s)
		}
	}
	delete(w.last, allocID)
}
