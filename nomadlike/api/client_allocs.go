package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ClientAllocationsResponse is the reply to GET
// /v1/client/allocations/:node_id: the node's allocations as ID ->
// AllocModifyIndex, and the largest modify index among them (the index the
// blocking query waits on).
type ClientAllocationsResponse struct {
	Allocs map[string]uint64 `json:"Allocs"`
	Index  uint64            `json:"Index"`
}

// ClientAllocsFetchRequest is the body of POST /v1/client/allocations/fetch.
type ClientAllocsFetchRequest struct {
	AllocIDs []string `json:"AllocIDs"`
}

// ClientAllocsFetchResponse is the reply to POST
// /v1/client/allocations/fetch. Each job version appears once in Jobs; the
// allocations come without their Job and JobOf[i] is the position in Jobs
// of Allocs[i]'s job (-1 when it has none). Unknown IDs are left out.
type ClientAllocsFetchResponse struct {
	Allocs []*nomadlike.Allocation `json:"Allocs"`
	Jobs   []*nomadlike.Job        `json:"Jobs"`
	JobOf  []int                   `json:"JobOf"`
	Index  uint64                  `json:"Index"`
}

// Attach gives every allocation its Job from Jobs, so allocations of one
// job version share one *Job. It fails when JobOf does not match.
func (r *ClientAllocsFetchResponse) Attach() error {
	if len(r.JobOf) != len(r.Allocs) {
		return fmt.Errorf("fetch allocations: %d JobOf entries for %d allocations", len(r.JobOf), len(r.Allocs))
	}
	for i, a := range r.Allocs {
		j := r.JobOf[i]
		switch {
		case j < 0:
		case j >= len(r.Jobs):
			return fmt.Errorf("fetch allocations: JobOf[%d] = %d, only %d jobs", i, j, len(r.Jobs))
		default:
			a.Job = r.Jobs[j]
		}
	}
	return nil
}

// ClientAllocations returns the node's allocations as ID ->
// AllocModifyIndex; with q.WaitIndex it blocks until one of them changes
// (or one is added) past that index. This is what a client agent watches;
// it then fetches only the allocations whose index moved with
// FetchAllocations. QueryMeta.LastIndex is the reply's Index.
func (c *Client) ClientAllocations(ctx context.Context, nodeID string, q *QueryOptions) (map[string]uint64, *QueryMeta, error) {
	var out ClientAllocationsResponse
	qm, err := c.Query(ctx, "/v1/client/allocations/"+nodeID, &out, q)
	if err != nil {
		return nil, nil, err
	}
	if out.Allocs == nil {
		out.Allocs = map[string]uint64{}
	}
	return out.Allocs, qm, nil
}

// FetchAllocations returns the allocations with these IDs, each with its
// Job (allocations of one job version share the *Job), from a state at
// least as new as minIndex (0: any), so a reply read from a stale server
// is not older than the ClientAllocations answer that named them. IDs the
// servers no longer know are left out.
func (c *Client) FetchAllocations(ctx context.Context, ids []string, minIndex uint64, stale bool) ([]*nomadlike.Allocation, error) {
	var out ClientAllocsFetchResponse
	q := &QueryOptions{AllowStale: stale}
	if minIndex > 0 {
		q.WaitIndex = minIndex - 1
	}
	if _, err := c.Write(ctx, http.MethodPost, "/v1/client/allocations/fetch", &ClientAllocsFetchRequest{AllocIDs: ids}, &out, q); err != nil {
		return nil, err
	}
	if err := out.Attach(); err != nil {
		return nil, err
	}
	return out.Allocs, nil
}
