package checks

import "github.com/nomadlike/nomadlike/nomadlike/api"

// Results returns the latest result of each of the allocation's checks by
// check ID, in Nomad's shape (GET /v1/client/allocation/:id/checks): Status
// "success", "failure" (critical, or a warning whose Output says so) or
// "pending"; nil when it has none.
func (m *Manager) Results(allocID string) map[string]api.AllocCheckStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	ac := m.allocs[allocID]
	if ac == nil {
		return nil
	}
	out := make(map[string]api.AllocCheckStatus, len(ac.checks))
	for _, c := range ac.checks {
		cs := api.AllocCheckStatus{
			ID: c.id, Check: c.name, Group: c.group, Mode: c.mode(), Service: c.service, Task: c.task,
			Output: c.last.Output, StatusCode: c.last.StatusCode, Status: apiStatus(c.status),
		}
		if c.status == StatusWarning && cs.Output != "" {
			cs.Output = "warning: " + cs.Output
		}
		if !c.last.Time.IsZero() {
			cs.Timestamp = c.last.Time.Unix()
		}
		out[c.id] = cs
	}
	return out
}

func apiStatus(s Status) string {
	switch s {
	case StatusPassing:
		return "success"
	case StatusPending:
		return "pending"
	}
	return "failure"
}
