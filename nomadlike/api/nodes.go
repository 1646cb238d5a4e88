package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Nodes is the /v1/nodes part of the API.
type Nodes struct{ c *Client }

// Nodes returns the node endpoints.
func (c *Client) Nodes() *Nodes { return &Nodes{c: c} }

// List lists client nodes (q.Prefix filters by ID prefix).
func (n *Nodes) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.NodeListStub, *QueryMeta, error) {
	var out []*nomadlike.NodeListStub
	qm, err := n.c.Query(ctx, "/v1/nodes", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList lists the nodes whose ID starts with prefix.
func (n *Nodes) PrefixList(ctx context.Context, prefix string) ([]*nomadlike.NodeListStub, *QueryMeta, error) {
	return n.List(ctx, &QueryOptions{Prefix: prefix})
}

// Info returns one node with its attributes, drivers and resources.
func (n *Nodes) Info(ctx context.Context, id string, q *QueryOptions) (*nomadlike.Node, *QueryMeta, error) {
	var out nomadlike.Node
	qm, err := n.c.Query(ctx, "/v1/node/"+url.PathEscape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the node's allocations (full objects).
func (n *Nodes) Allocations(ctx context.Context, id string, q *QueryOptions) ([]*nomadlike.Allocation, *QueryMeta, error) {
	return n.c.NodeAllocations(ctx, url.PathEscape(id), q)
}

// UpdateDrain starts (spec non-nil) or stops (spec nil) draining the node;
// markEligible makes a node whose drain is cancelled eligible again.
func (n *Nodes) UpdateDrain(ctx context.Context, id string, spec *DrainSpec, markEligible bool, q *QueryOptions) (*NodeUpdateResponse, error) {
	req := &NodeUpdateDrainRequest{NodeID: id, DrainSpec: spec, MarkEligible: markEligible}
	var out NodeUpdateResponse
	if _, err := n.c.Write(ctx, http.MethodPost, "/v1/node/"+url.PathEscape(id)+"/drain", req, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// ToggleEligibility marks the node eligible or ineligible for new placements.
func (n *Nodes) ToggleEligibility(ctx context.Context, id string, eligible bool, q *QueryOptions) (*NodeUpdateResponse, error) {
	e := nomadlike.NodeSchedulingIneligible
	if eligible {
		e = nomadlike.NodeSchedulingEligible
	}
	req := &NodeUpdateEligibilityRequest{NodeID: id, Eligibility: e}
	var out NodeUpdateResponse
	if _, err := n.c.Write(ctx, http.MethodPost, "/v1/node/"+url.PathEscape(id)+"/eligibility", req, &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}
