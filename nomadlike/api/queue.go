package api

import (
	"context"

	"github.com/nomadlike/nomadlike/nomadlike/queue"
)

// Queue lists the jobs waiting for capacity in placement order (GET
// /v1/queue, nomadlike's extension). Set q.Namespace to "*" for every
// namespace.
func (c *Client) Queue(ctx context.Context, q *QueryOptions) (*queue.Listing, *QueryMeta, error) {
	var out queue.Listing
	qm, err := c.Query(ctx, "/v1/queue", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}
