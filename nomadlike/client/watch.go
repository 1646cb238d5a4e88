package client

import (
	"context"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
)

// watchAllocations keeps the allocations running here equal to what the
// servers want.
//
// Why it is shaped this way: the servers' view changes through raft, and
// each change bumps an index. A blocking query (GET
// /v1/node/:id/allocations?index=N) returns as soon as the node's
// allocations reach an index above N, or after the wait time with the same
// index. So one goroutine, one outstanding request: when it returns with a
// newer index the client diffs the full list against its runners — new
// allocations get a runner, changed ones (AllocModifyIndex, desired status)
// are handed to theirs, and ones the servers forgot are destroyed. Our own
// status updates also bump the index; the diff finds nothing to do for
// them, which is cheaper than tracking which index was ours. Errors back
// off instead of spinning, and an index that goes backwards (a restored
// server snapshot) restarts from zero rather than waiting forever for an
// index that may never come.
func (c *Client) watchAllocations() {
	defer c.wg.Done()
	select {
	case <-c.registeredCh:
	case <-c.ctx.Done():
		return
	}
	if w, ok := c.cfg.Servers.(AllocIndexWatcher); ok {
		c.watchAllocIndexes(w)
		return
	}
	var index uint64
	failures := 0
	for {
		ctx, cancel := context.WithTimeout(c.nodeCtx(), c.cfg.BlockingQueryWait+time.Minute)
		allocs, meta, err := c.cfg.Servers.NodeAllocations(ctx, c.NodeID(), &api.QueryOptions{WaitIndex: index, WaitTime: c.cfg.BlockingQueryWait})
		cancel()
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
		case meta.LastIndex < index:
			index = 0 // the servers went back in time; resync
			continue
		case meta.LastIndex == index:
			continue // the wait timed out with nothing new
		}
		index = meta.LastIndex
		c.runAllocs(allocs)
	}
}

// runAllocs applies the servers' list of the node's allocations.
func (c *Client) runAllocs(allocs []*nomadlike.Allocation) {
	seen := make(map[string]bool, len(allocs))
	for _, a := range allocs {
		seen[a.ID] = true
	}
	c.applyAllocs(seen, allocs)
}

// applyAllocs starts or updates the runners of changed (allocations new or
// changed on the servers) and destroys the runners of allocations not in
// seen (every allocation the servers have for the node).
func (c *Client) applyAllocs(seen map[string]bool, changed []*nomadlike.Allocation) {
	// New runners are made at once: each persists its allocation before
	// it runs, and concurrent writes share one local-state commit (and
	// fsync) where a loop made a thousand new allocations wait for a
	// thousand fsyncs in a row. All are made before this returns, so the
	// next answer of the watch sees them.
	var adds sync.WaitGroup
	defer adds.Wait()
	adding := map[string]bool{}
	for _, a := range changed {
		c.runnersMu.RLock()
		ar := c.runners[a.ID]
		c.runnersMu.RUnlock()
		if ar == nil {
			if adding[a.ID] {
				continue
			}
			adding[a.ID] = true
			adds.Add(1)
			go func() {
				defer adds.Done()
				c.addAlloc(a)
			}()
			continue
		}
		cur := ar.Alloc()
		if a.AllocModifyIndex <= cur.AllocModifyIndex && a.DesiredStatus == cur.DesiredStatus {
			continue
		}
		if a.Job == nil {
			a.Job = cur.Job
		}
		c.logger.Debug("allocation updated", "alloc_id", a.ID, "desired_status", a.DesiredStatus)
		ar.Update(a)
	}
	c.runnersMu.Lock()
	var gone []*allocrunner.AllocRunner
	for id, ar := range c.runners {
		if !seen[id] {
			gone = append(gone, ar)
			delete(c.runners, id)
		}
	}
	for id := range c.collected {
		if !seen[id] {
			delete(c.collected, id) // the servers forgot it too
		}
	}
	c.runnersMu.Unlock()
	for _, ar := range gone {
		c.logger.Info("allocation removed by the servers, destroying it", "alloc_id", ar.ID())
		go ar.Destroy()
	}
}

// addAlloc starts a runner for an allocation new to this client. Ones the
// servers already stopped, or that finished here before the local state
// was lost, are not run again.
func (c *Client) addAlloc(a *nomadlike.Allocation) {
	if a.DesiredStatus != nomadlike.AllocDesiredStatusRun || a.ClientTerminalStatus() || c.wasCollected(a.ID) {
		return
	}
	ar, err := c.newRunner(a, nil)
	if err != nil {
		c.logger.Error("cannot run allocation", "alloc_id", a.ID, "error", err)
		failed := &nomadlike.Allocation{ID: a.ID, NodeID: a.NodeID, JobID: a.JobID, Namespace: a.Namespace, TaskGroup: a.TaskGroup,
			ClientStatus: nomadlike.AllocClientStatusFailed, ClientDescription: err.Error()}
		c.updates.AllocStateUpdated(failed)
		return
	}
	c.runnersMu.Lock()
	c.runners[a.ID] = ar
	c.runnersMu.Unlock()
	c.logger.Info("starting allocation", "alloc_id", a.ID, "name", a.Name)
	go ar.Run()
}

// runner returns the runner of an allocation by ID or unique ID prefix.
func (c *Client) runner(id string) (*allocrunner.AllocRunner, bool) {
	c.runnersMu.RLock()
	defer c.runnersMu.RUnlock()
	if ar, ok := c.runners[id]; ok {
		return ar, true
	}
	var found *allocrunner.AllocRunner
	if len(id) >= 4 {
		for k, ar := range c.runners {
			if len(k) >= len(id) && k[:len(id)] == id {
				if found != nil {
					return nil, false
				}
				found = ar
			}
		}
	}
	return found, found != nil
}

// Allocations returns the client's view of every allocation it runs.
func (c *Client) Allocations() []*nomadlike.Allocation {
	c.runnersMu.RLock()
	defer c.runnersMu.RUnlock()
	out := make([]*nomadlike.Allocation, 0, len(c.runners))
	for _, ar := range c.runners {
		out = append(out, ar.Alloc())
	}
	return out
}
