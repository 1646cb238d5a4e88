package agent

import (
	"context"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// ClientAllocations implements client.AllocIndexWatcher.
func (l *serverList) ClientAllocations(ctx context.Context, nodeID string, q *api.QueryOptions) (map[string]uint64, *api.QueryMeta, error) {
	type res struct {
		ids map[string]uint64
		qm  *api.QueryMeta
	}
	r, err := try(l, func(c *api.Client) (res, error) {
		ids, qm, err := c.ClientAllocations(ctx, nodeID, q)
		return res{ids, qm}, err
	})
	return r.ids, r.qm, err
}

// FetchAllocations implements client.AllocIndexWatcher.
func (l *serverList) FetchAllocations(ctx context.Context, ids []string, minIndex uint64, stale bool) ([]*nomadlike.Allocation, error) {
	return try(l, func(c *api.Client) ([]*nomadlike.Allocation, error) {
		return c.FetchAllocations(ctx, ids, minIndex, stale)
	})
}
