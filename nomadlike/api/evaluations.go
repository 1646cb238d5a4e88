package api

import (
	"context"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Evaluations is the /v1/evaluations part of the API.
type Evaluations struct{ c *Client }

// Evaluations returns the evaluation endpoints.
func (c *Client) Evaluations() *Evaluations { return &Evaluations{c: c} }

// List lists evaluations (q.Prefix filters by ID prefix).
func (e *Evaluations) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.Evaluation, *QueryMeta, error) {
	var out []*nomadlike.Evaluation
	qm, err := e.c.Query(ctx, "/v1/evaluations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList lists the evaluations whose ID starts with prefix.
func (e *Evaluations) PrefixList(ctx context.Context, prefix string) ([]*nomadlike.Evaluation, *QueryMeta, error) {
	return e.List(ctx, &QueryOptions{Prefix: prefix})
}

// Info returns one evaluation; with q.WaitIndex it blocks until the
// evaluation changes past that index.
func (e *Evaluations) Info(ctx context.Context, id string, q *QueryOptions) (*nomadlike.Evaluation, *QueryMeta, error) {
	var out nomadlike.Evaluation
	qm, err := e.c.Query(ctx, "/v1/evaluation/"+url.PathEscape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Allocations lists the allocations the evaluation placed or changed.
func (e *Evaluations) Allocations(ctx context.Context, id string, q *QueryOptions) ([]*nomadlike.AllocListStub, *QueryMeta, error) {
	var out []*nomadlike.AllocListStub
	qm, err := e.c.Query(ctx, "/v1/evaluation/"+url.PathEscape(id)+"/allocations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}
