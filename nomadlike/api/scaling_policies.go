package api

import (
	"context"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Scaling reads the scaling policies of the jobs' groups.
type Scaling struct{ c *Client }

// Scaling returns the scaling policy endpoints.
func (c *Client) Scaling() *Scaling { return &Scaling{c: c} }

// ListPolicies lists the policies (GET /v1/scaling/policies); q.Params may
// hold "job" and "type" filters.
func (s *Scaling) ListPolicies(ctx context.Context, q *QueryOptions) ([]*nomadlike.ScalingPolicyStub, *QueryMeta, error) {
	var out []*nomadlike.ScalingPolicyStub
	qm, err := s.c.Query(ctx, "/v1/scaling/policies", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// GetPolicy reads one policy (GET /v1/scaling/policy/:id).
func (s *Scaling) GetPolicy(ctx context.Context, id string, q *QueryOptions) (*nomadlike.ScalingPolicy, *QueryMeta, error) {
	var out nomadlike.ScalingPolicy
	qm, err := s.c.Query(ctx, "/v1/scaling/policy/"+url.PathEscape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}
