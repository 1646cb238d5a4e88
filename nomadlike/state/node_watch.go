package state

import "sync"

// nodeWatches gives blocking readers of one node's allocations a channel
// that is closed by the next commit writing an allocation of that node.
//
// Why not memdb's own watch channels: a read of a node's allocations
// watches the radix node that holds the node's index entries, but a node
// with no allocation yet has no such radix node, so the read watches the
// nearest ancestor, shared with many other nodes and replaced by every
// commit that writes an allocation anywhere under it. With thousands of
// idle client nodes each waiting on GET /v1/client/allocations/:node_id,
// every plan entry then woke all of them for nothing.
type nodeWatches struct {
	mu    sync.Mutex
	chans map[string]chan struct{}
}

func newNodeWatches() *nodeWatches {
	return &nodeWatches{chans: map[string]chan struct{}{}}
}

// ch returns the channel for nodeID. Callers take it before they read, so
// a commit between the read and the wait still wakes them.
func (w *nodeWatches) ch(nodeID string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.chans[nodeID]
	if !ok {
		c = make(chan struct{})
		w.chans[nodeID] = c
	}
	return c
}

// notify closes the channels of nodeIDs, the nodes whose allocations a
// commit wrote. It runs after the commit, so woken readers see the change.
func (w *nodeWatches) notify(nodeIDs []string) {
	if len(nodeIDs) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.chans) == 0 {
		return
	}
	for _, id := range nodeIDs {
		if c, ok := w.chans[id]; ok {
			close(c)
			delete(w.chans, id)
		}
	}
}
