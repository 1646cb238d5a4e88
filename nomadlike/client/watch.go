package client

import (
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
)

// watchAllocations keeps the allocations running here equal to what the
// servers want, once the node is registered: one goroutine, one
// outstanding blocking query on the node's allocation indexes (see
// watchAllocIndexes in allocwatch.go for why it is shaped this way).
func (c *Client) watchAllocations() {
	defer c.wg.Done()
	select {
	case <-c.registeredCh:
	case <-c.ctx.Done():
		return
	}
	c.watchAllocIndexes(c.cfg.Servers)
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
