package checks

// CheckStatus is one check's latest result, in the shape of Nomad's
// GET /v1/client/allocation/:id/checks (api.AllocCheckStatus).
type CheckStatus struct {
	ID      string `json:"ID"`
	Check   string `json:"Check"`
	Group   string `json:"Group"`
	Mode    string `json:"Mode"`
	Output  string `json:"Output"`
	Service string `json:"Service"`
	Task    string `json:"Task"`
	// Status is "success", "failure" or "pending" (Nomad's words); a
	// warning is a failure whose Output says so.
	Status     string `json:"Status"`
	StatusCode int    `json:"StatusCode"`
	// Timestamp is the result's time in unix seconds.
	Timestamp int64 `json:"Timestamp"`
}

// Results returns the allocation's checks by ID; nil when it has none.
func (m *Manager) Results(allocID string) map[string]CheckStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	ac := m.allocs[allocID]
	if ac == nil {
		return nil
	}
	out := make(map[string]CheckStatus, len(ac.checks))
	for _, c := range ac.checks {
		cs := CheckStatus{
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
