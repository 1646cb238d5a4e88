package api

import (
	"context"
	"net/http"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// RegisterNodeResponse is the reply to PUT /v1/client/register.
type RegisterNodeResponse struct {
	NodeID       string        `json:"NodeID"`
	HeartbeatTTL time.Duration `json:"HeartbeatTTL"`
	Index        uint64        `json:"Index"`
}

// HeartbeatResponse is the reply to PUT /v1/client/heartbeat/:node_id.
type HeartbeatResponse struct {
	HeartbeatTTL time.Duration `json:"HeartbeatTTL"`
	Index        uint64        `json:"Index"`
}

// AllocUpdateResponse is the reply to PUT /v1/client/allocations/update.
type AllocUpdateResponse struct {
	Index uint64 `json:"Index"`
}

// RegisterNode registers or re-registers a client node.
func (c *Client) RegisterNode(ctx context.Context, node *nomadlike.Node) (*RegisterNodeResponse, error) {
	var out RegisterNodeResponse
	if _, err := c.Write(ctx, http.MethodPut, "/v1/client/register", map[string]any{"Node": node}, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Heartbeat renews the node's TTL and reports its status.
func (c *Client) Heartbeat(ctx context.Context, nodeID, status string) (*HeartbeatResponse, error) {
	var out HeartbeatResponse
	if _, err := c.Write(ctx, http.MethodPut, "/v1/client/heartbeat/"+nodeID, map[string]any{"Status": status}, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodeAllocations returns the node's allocations (full objects with their
// Job); with q.WaitIndex it blocks until they change.
func (c *Client) NodeAllocations(ctx context.Context, nodeID string, q *QueryOptions) ([]*nomadlike.Allocation, *QueryMeta, error) {
	var out []*nomadlike.Allocation
	qm, err := c.Query(ctx, "/v1/node/"+nodeID+"/allocations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// UpdateAllocs sends client-side allocation status (ClientStatus,
// ClientDescription, TaskStates) in one batch.
func (c *Client) UpdateAllocs(ctx context.Context, allocs []*nomadlike.Allocation) (*WriteMeta, error) {
	var out AllocUpdateResponse
	wm, err := c.Write(ctx, http.MethodPut, "/v1/client/allocations/update", map[string]any{"Allocs": allocs}, &out, nil)
	if err != nil {
		return nil, err
	}
	if wm.LastIndex == 0 {
		wm.LastIndex = out.Index
	}
	return wm, nil
}
