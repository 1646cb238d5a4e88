package simnode

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
)

// watchLoop follows the node's allocations as a client agent does: a
// blocking GET /v1/client/allocations/:node_id returns only ID ->
// AllocModifyIndex, and only when the servers changed one of the node's
// allocations; the allocations whose index moved are then fetched in one
// POST /v1/client/allocations/fetch. (The full-object GET
// /v1/node/:id/allocations it used before is compared in BENCHMARKS.md,
// "After the placement-throughput work".)
func (n *simNode) watchLoop(ctx context.Context) {
	cfg := &n.sim.cfg
	var index uint64
	acted := map[string]uint64{} // alloc ID -> AllocModifyIndex already applied
	backoff := time.Duration(0)
	var last time.Time
	for {
		if cfg.MinWatchInterval > 0 && !last.IsZero() {
			if !ctxsleep.Sleep(ctx, cfg.MinWatchInterval-time.Since(last)) {
				return
			}
		}
		if !ctxsleep.Sleep(ctx, backoff) {
			return
		}
		last = time.Now()
		changed, present, newIndex, err := n.poll(ctx, index, acted)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			n.sim.stats.watchErrors.Add(1)
			n.sim.cfg.Logger.Debug("alloc watch failed", "node", n.node.Name, "error", err)
			n.failover()
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			continue
		}
		backoff = 0
		n.sim.stats.watches.Add(1)
		n.sim.stats.allocsWatched.Add(uint64(len(changed)))
		// An index going backwards (a restored or lagging server) is
		// followed, as in the legacy loop.
		index = newIndex
		n.apply(ctx, present, changed)
		for _, a := range changed {
			acted[a.ID] = a.AllocModifyIndex
		}
		for id := range acted {
			if _, ok := present[id]; !ok {
				delete(acted, id)
			}
		}
	}
}

// poll runs one watch query and fetches the allocations whose modify index
// differs from acted. It returns them, the node's whole ID -> index list
// and the watch's index.
func (n *simNode) poll(ctx context.Context, index uint64, acted map[string]uint64) ([]*allocView, map[string]uint64, uint64, error) {
	cfg := &n.sim.cfg
	c := n.client()
	q := &api.QueryOptions{WaitIndex: index, WaitTime: cfg.WatchWait, AllowStale: cfg.StaleReads}
	cctx, cancel := context.WithTimeout(ctx, cfg.WatchWait+cfg.WatchWait/16+30*time.Second)
	defer cancel()
	var resp api.ClientAllocationsResponse
	qm, err := c.Query(cctx, "/v1/client/allocations/"+n.node.ID, &resp, q)
	if err != nil {
		return nil, nil, 0, err
	}
	var ids []string
	for id, mi := range resp.Allocs {
		if seen, ok := acted[id]; !ok || seen != mi {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, resp.Allocs, qm.LastIndex, nil
	}
	fq := &api.QueryOptions{AllowStale: cfg.StaleReads}
	if resp.Index > 0 {
		fq.WaitIndex = resp.Index - 1
	}
	var fetched struct {
		Allocs []*allocView `json:"Allocs"`
		Jobs   []*jobView   `json:"Jobs"`
		JobOf  []int        `json:"JobOf"`
	}
	if _, err := c.Write(cctx, http.MethodPost, "/v1/client/allocations/fetch", &api.ClientAllocsFetchRequest{AllocIDs: ids}, &fetched, fq); err != nil {
		return nil, nil, 0, err
	}
	if len(fetched.JobOf) != len(fetched.Allocs) {
		return nil, nil, 0, fmt.Errorf("fetch allocations: %d JobOf for %d allocations", len(fetched.JobOf), len(fetched.Allocs))
	}
	for i, a := range fetched.Allocs {
		if j := fetched.JobOf[i]; j >= 0 && j < len(fetched.Jobs) {
			a.Job = fetched.Jobs[j]
		}
	}
	return fetched.Allocs, resp.Allocs, qm.LastIndex, nil
}
