package api

import (
	"context"
	"net/http"
)

// System is the /v1/system part of the API.
type System struct{ c *Client }

// System returns the system endpoints.
func (c *Client) System() *System { return &System{c: c} }

// GarbageCollect runs the servers' garbage collector now, ignoring the
// thresholds (PUT /v1/system/gc; a management token when ACLs are on).
func (s *System) GarbageCollect(ctx context.Context) error {
	_, err := s.c.Write(ctx, http.MethodPut, "/v1/system/gc", nil, nil, nil)
	return err
}

// ReconcileSummaries rebuilds the job summaries' allocation counts from
// the stored allocations (PUT /v1/system/reconcile/summaries).
func (s *System) ReconcileSummaries(ctx context.Context) error {
	_, err := s.c.Write(ctx, http.MethodPut, "/v1/system/reconcile/summaries", nil, nil, nil)
	return err
}
