package api

import "context"

// AllocCheckStatus is one check's latest result (Nomad's
// api.AllocCheckStatus): Status is "success", "failure" or "pending",
// Mode "healthiness" or "readiness", Timestamp unix seconds.
type AllocCheckStatus struct {
	ID         string `json:"ID"`
	Check      string `json:"Check"`
	Group      string `json:"Group"`
	Mode       string `json:"Mode"`
	Output     string `json:"Output"`
	Service    string `json:"Service"`
	Task       string `json:"Task"`
	Status     string `json:"Status"`
	StatusCode int    `json:"StatusCode"`
	Timestamp  int64  `json:"Timestamp"`
}

// Checks returns the allocation's check results by check ID, from the
// client agent running it (GET /v1/client/allocation/:id/checks).
func (a *Allocations) Checks(ctx context.Context, id string) (map[string]AllocCheckStatus, error) {
	out := map[string]AllocCheckStatus{}
	if _, err := a.c.Query(ctx, clientAllocPath(id, "/checks"), &out, nil); err != nil {
		return nil, err
	}
	return out, nil
}
