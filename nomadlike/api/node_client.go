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

// nodeAuth is the options of a node call: the node's SecretID as token.
func nodeAuth(secretID string) *QueryOptions { return &QueryOptions{AuthToken: secretID} }

// RegisterNode registers or re-registers a client node; node.SecretID
// authenticates it (a known node ID registers again only with its secret)
// and is also sent as the token.
func (c *Client) RegisterNode(ctx context.Context, node *nomadlike.Node) (*RegisterNodeResponse, error) {
	var out RegisterNodeResponse
	if _, err := c.Write(ctx, http.MethodPut, "/v1/client/register", map[string]any{"Node": node}, &out, nodeAuth(node.SecretID)); err != nil {
		return nil, err
	}
	return &out, nil
}

// Heartbeat renews the node's TTL and reports its status; secretID is the
// node's SecretID (a wrong one is a 403).
func (c *Client) Heartbeat(ctx context.Context, nodeID, secretID, status string) (*HeartbeatResponse, error) {
	var out HeartbeatResponse
	if _, err := c.Write(ctx, http.MethodPut, "/v1/client/heartbeat/"+nodeID, map[string]any{"Status": status}, &out, nodeAuth(secretID)); err != nil {
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
// ClientDescription, TaskStates) in one batch. secretID is the SecretID of
// the node the allocations are placed on (a wrong one, or an allocation of
// another node, is a 403 and nothing is written).
func (c *Client) UpdateAllocs(ctx context.Context, secretID string, allocs []*nomadlike.Allocation) (*WriteMeta, error) {
	var out AllocUpdateResponse
	wm, err := c.Write(ctx, http.MethodPut, "/v1/client/allocations/update", map[string]any{"Allocs": allocs}, &out, nodeAuth(secretID))
	if err != nil {
		return nil, err
	}
	if wm.LastIndex == 0 {
		wm.LastIndex = out.Index
	}
	return wm, nil
}

// PushUsage sends the usage samples of the node's allocations for the
// built-in autoscaler (POST /v1/client/usage, nomadlike only); secretID
// is the node's SecretID.
func (c *Client) PushUsage(ctx context.Context, secretID string, samples []nomadlike.AllocUsage) error {
	_, err := c.Write(ctx, http.MethodPut, "/v1/client/usage", map[string]any{"Allocs": samples}, nil, nodeAuth(secretID))
	return err
}
