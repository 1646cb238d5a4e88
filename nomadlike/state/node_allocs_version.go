package state

import "fmt"

// NodeAllocsVersion returns a token of the node's allocations in this
// view: two views give equal tokens (==) only when the node's
// allocations are the same in both; a change to any of them (or, rarely, a
// nearby node's) gives a new token. It costs one index seek, so callers can
// keep values derived from a node's allocations (the scheduler's node
// usage) across snapshots and recompute them only when the token moves.
func (r *Reader) NodeAllocsVersion(nodeID string) (any, error) {
	it, err := r.db.Txn(false).Get(TableAllocs, indexNode, nodeID)
	if err != nil {
		return nil, fmt.Errorf("allocs of node %q: %w", nodeID, err)
	}
	// The watch channel of the radix node holding the node's index
	// entries: immutable radix trees replace (and give a new channel to)
	// every node on the path of a change, and share unchanged ones.
	ch := it.WatchCh()
	select {
	case <-ch:
		// This view is older than a change on that path. The store's
		// radix tree makes channels on demand (third_party/
		// go-immutable-radix), and a channel first asked for after the
		// change is one closed channel shared by all such nodes, not this
		// version's own: a fresh token, equal to no other.
		return new(staleVersion), nil
	default:
		return ch, nil
	}
}

// staleVersion is the token of a view older than a change to the node's
// allocations. Not zero-sized, so that each one is a distinct pointer.
type staleVersion struct{ _ byte }
