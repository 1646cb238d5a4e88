package agent

import (
	"context"

	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
)

// ForceGC is httpapi.GCBackend: PUT /v1/system/gc runs the server's
// garbage collector now.
func (s *serverBackend) ForceGC(ctx context.Context) (httpapi.GCResult, error) {
	st, err := s.Server.ForceGC(ctx)
	return httpapi.GCResult{Jobs: st.Jobs, Evals: st.Evals, Allocs: st.Allocs, Nodes: st.Nodes}, err
}
