package client

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// AllocIndexWatcher is the allocation watch of ServerAPI (satisfied by
// *api.Client): the client watches ID -> AllocModifyIndex of its
// allocations and fetches only the ones that changed, instead of every
// allocation with its job on every change.
type AllocIndexWatcher interface {
	// ClientAllocations blocks (q.WaitIndex) until one of the node's
	// allocations changes on the servers and returns them as ID ->
	// AllocModifyIndex.
	ClientAllocations(ctx context.Context, nodeID string, q *api.QueryOptions) (map[string]uint64, *api.QueryMeta, error)
	// FetchAllocations returns the allocations with these IDs, with their
	// Job, from a state at least at minIndex; unknown IDs are left out.
	FetchAllocations(ctx context.Context, ids []string, minIndex uint64, stale bool) ([]*nomadlike.Allocation, error)
}

// watchAllocIndexes is the client's allocation watch loop.
//
// Why it is shaped this way: the servers' view changes through raft, and
// each change bumps an index. A blocking query (GET
// /v1/client/allocations/:node_id?index=N) returns the node's allocation
// IDs with their AllocModifyIndex as soon as one of them moves past N, or
// after the wait time with the same index. So one goroutine, one
// outstanding request; the allocations whose AllocModifyIndex moved since
// this loop last acted on them (or that it never saw) are fetched in one
// batch and diffed against the runners: new allocations get a runner,
// changed ones are handed to theirs, and ones the servers forgot are
// destroyed. Our own status updates do not move AllocModifyIndex, so they
// do not wake it. Errors back off instead of spinning, and an index that
// goes backwards (a restored server snapshot) restarts from zero rather
// than waiting forever for an index that may never come.
func (c *Client) watchAllocIndexes(w AllocIndexWatcher) {
	var index uint64
	acted := map[string]uint64{} // alloc ID -> AllocModifyIndex applied
	failures := 0
	for {
		changed, present, newIndex, err := c.pollAllocIndexes(w, index, acted)
		if c.ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			d := backoff(failures, c.cfg.MinRetryInterval, c.cfg.MaxRetryInterval)
			c.logger.Warn("cannot get allocations from servers", "error", err, "retry_in", d)
			if !c.sleep(d) {
				return
			}
			continue
		}
		failures = 0
		switch {
		case newIndex < index:
			index = 0 // the servers went back in time; resync
			continue
		case newIndex == index && present == nil:
			continue // the wait timed out with nothing new
		}
		index = newIndex
		c.applyAllocs(present, changed)
		for _, a := range changed {
			acted[a.ID] = a.AllocModifyIndex
		}
		for id := range acted {
			if !present[id] {
				delete(acted, id)
			}
		}
	}
}

// pollAllocIndexes runs one watch query and fetches what changed. present
// is nil when the query timed out with the same index.
func (c *Client) pollAllocIndexes(w AllocIndexWatcher, index uint64, acted map[string]uint64) ([]*nomadlike.Allocation, map[string]bool, uint64, error) {
	ctx, cancel := context.WithTimeout(c.nodeCtx(), c.cfg.BlockingQueryWait+time.Minute)
	defer cancel()
	ids, meta, err := w.ClientAllocations(ctx, c.NodeID(), &api.QueryOptions{WaitIndex: index, WaitTime: c.cfg.BlockingQueryWait})
	if err != nil {
		return nil, nil, 0, err
	}
	present := make(map[string]bool, len(ids))
	var fetch []string
	for id, mi := range ids {
		present[id] = true
		if seen, ok := acted[id]; !ok || seen != mi {
			fetch = append(fetch, id)
		}
	}
	if meta.LastIndex == index && len(fetch) == 0 && len(present) == len(acted) {
		return nil, nil, index, nil
	}
	if len(fetch) == 0 {
		return nil, present, meta.LastIndex, nil
	}
	allocs, err := w.FetchAllocations(ctx, fetch, meta.LastIndex, false)
	if err != nil {
		return nil, nil, 0, err
	}
	return allocs, present, meta.LastIndex, nil
}
