package state

import (
	"context"
	"fmt"
	"sync"

	memdb "github.com/hashicorp/go-memdb"
)

// StateStore is the replicated state. Reads are safe for concurrent use with
// each other and with writes; writes are made by the FSM only, one at a time.
// The read methods come from the embedded *Reader and always see the latest
// committed state.
type StateStore struct {
	*Reader

	db        *memdb.MemDB
	abandonCh chan struct{}
	abandon   sync.Once
	strs      *stringTable // used by write transactions only (see intern.go)
	nodes     *nodeWatches
	// touched holds the node IDs of the allocations the open write
	// transaction wrote (before and after), for nodes.notify. Only the
	// holder of memdb's writer lock uses it.
	touched []string
	// tracking and changes: see TrackChanges (changes.go); writer only.
	tracking bool
	changes  []Change
}

// NewStateStore returns an empty store.
func NewStateStore() (*StateStore, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fmt.Errorf("create state store: %w", err)
	}
	s := &StateStore{db: db, abandonCh: make(chan struct{}), strs: newStringTable(), nodes: newNodeWatches()}
	s.Reader = &Reader{db: db, abandonCh: s.abandonCh, nodes: s.nodes}
	return s, nil
}

// AbandonCh is closed when the store is replaced by a restore; blocking
// queries watch it (every read with a WatchSet adds it) and re-run their
// query against the new store.
func (s *StateStore) AbandonCh() <-chan struct{} { return s.abandonCh }

// Abandon closes AbandonCh. The FSM calls it on the old store after a
// restore replaced it. Safe to call more than once.
func (s *StateStore) Abandon() { s.abandon.Do(func() { close(s.abandonCh) }) }

// Snapshot returns an immutable point-in-time view of the store.
func (s *StateStore) Snapshot() (*Snapshot, error) {
	return newSnapshot(s.db.Snapshot(), s.abandonCh), nil
}

// SnapshotMinIndex waits until the store has applied index (the largest
// entry of the index table is at least index), then returns a snapshot of
// that state or newer. It returns ctx's error, wrapped, when ctx ends first.
func (s *StateStore) SnapshotMinIndex(ctx context.Context, index uint64) (*Snapshot, error) {
	for {
		db := s.db.Snapshot()
		ws := memdb.NewWatchSet()
		latest, err := latestIndex(db.Txn(false), ws)
		if err != nil {
			return nil, err
		}
		if latest >= index {
			return newSnapshot(db, s.abandonCh), nil
		}
		ws.Add(s.abandonCh)
		if err := ws.WatchCtx(ctx); err != nil {
			return nil, fmt.Errorf("wait for state index %d (at %d): %w", index, latest, err)
		}
		select {
		case <-s.abandonCh:
			return nil, fmt.Errorf("wait for state index %d: %w", index, ErrAbandoned)
		default:
		}
	}
}

// writeTxn runs fn in one write transaction and commits it when fn returns
// nil; on error nothing is written. Writers of allocations record their
// nodes with allocNodes, so the commit wakes those nodes' watchers (memdb's
// own change tracking would keep a record of every object written).
func (s *StateStore) writeTxn(fn func(txn *memdb.Txn) error) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if s.tracking {
		txn.TrackChanges()
	}
	s.touched = s.touched[:0]
	err := fn(txn)
	touched := s.touched // the writer lock ends with the commit
	s.touched = nil
	if err != nil {
		return err
	}
	if s.tracking {
		s.recordChanges(txn.Changes())
	}
	txn.Commit()
	s.nodes.notify(touched)
	return nil
}

// allocNodes records that the open write transaction wrote allocations of
// the nodes old and cur (either may be empty).
func (s *StateStore) allocNodes(old, cur string) {
	if cur != "" {
		s.touched = append(s.touched, cur)
	}
	if old != "" && old != cur {
		s.touched = append(s.touched, old)
	}
}

// latestIndex returns the largest value of the index table, adding the
// table's watch channel to ws when ws is not nil.
func latestIndex(txn *memdb.Txn, ws memdb.WatchSet) (uint64, error) {
	it, err := txn.Get(TableIndex, indexID)
	if err != nil {
		return 0, fmt.Errorf("read index table: %w", err)
	}
	if ws != nil {
		ws.Add(it.WatchCh())
	}
	var max uint64
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if v := raw.(*IndexEntry).Value; v > max {
			max = v
		}
	}
	return max, nil
}
