package state

import (
	"encoding/binary"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// indexDispatchLine indexes the jobs table's live dispatched children
// (nomadlike.Job.InDispatchLine) by (Namespace, ParentID, CreateIndex, ID):
// under its parent's prefix memdb keeps the max_concurrent line in dispatch
// order (nomadlike.DispatchQueue's order). The index is computed from the
// job rows, so it changes in the transaction that writes a child or its
// status (an allocation update that makes it dead), and a snapshot restore
// rebuilds it: the line stays a function of the Raft state alone.
const indexDispatchLine = "dispatch_line"

type dispatchLineIndex struct{}

// FromObject keys a live dispatched child; other jobs are not indexed.
func (dispatchLineIndex) FromObject(obj any) (bool, []byte, error) {
	j, ok := obj.(*nomadlike.Job)
	if !ok {
		return false, nil, fmt.Errorf("dispatch line index: %T is not a job", obj)
	}
	if !j.InDispatchLine() || j.Namespace == "" {
		return false, nil, nil
	}
	k := nulKey(j.Namespace, j.ParentID, 8+len(j.ID)+1)
	k = binary.BigEndian.AppendUint64(k, j.CreateIndex) // big-endian: byte order is numeric order
	k = append(k, j.ID...)
	return true, append(k, 0), nil
}

// FromArgs takes (namespace, parentID) and returns the prefix of that
// parent's line.
func (dispatchLineIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("dispatch line index: want (namespace, parentID), got %d arguments", len(args))
	}
	ns, ok1 := args[0].(string)
	parent, ok2 := args[1].(string)
	if !ok1 || !ok2 || ns == "" || parent == "" {
		return nil, fmt.Errorf("dispatch line index: want a non-empty namespace and parent ID, got %v", args)
	}
	return nulKey(ns, parent, 0), nil
}

func dispatchLineSchema() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: indexDispatchLine, Unique: true, AllowMissing: true, Indexer: dispatchLineIndex{}}
}

// dispatchLine iterates the parent's line in dispatch order.
func (r *Reader) dispatchLine(ws memdb.WatchSet, ns, parentID string) (memdb.ResultIterator, error) {
	it, err := r.txn(ws).Get(TableJobs, indexDispatchLine, ns, parentID)
	if err != nil {
		return nil, fmt.Errorf("list the dispatch line of %q: %w", parentID, err)
	}
	if ws != nil {
		ws.Add(it.WatchCh())
	}
	return it, nil
}

// DispatchLine returns the first n children in the max_concurrent line of
// the parent (every one when n <= 0): its live dispatched children, in
// dispatch order (CreateIndex, then ID). It reads only those n rows.
func (r *Reader) DispatchLine(ws memdb.WatchSet, ns, parentID string, n int) ([]*nomadlike.Job, error) {
	it, err := r.dispatchLine(ws, ns, parentID)
	if err != nil {
		return nil, err
	}
	var out []*nomadlike.Job
	for raw := it.Next(); raw != nil && (n <= 0 || len(out) < n); raw = it.Next() {
		out = append(out, raw.(*nomadlike.Job))
	}
	return out, nil
}

// DispatchAdmitted reports whether the child is among the first limit of
// its parent's line (nomadlike.DispatchAdmitted, from the index): it reads
// at most limit rows, whatever the number of children
// (scheduler.ChildJobsState).
func (s *Snapshot) DispatchAdmitted(ns, parentID, childID string, limit int) (bool, error) {
	it, err := s.dispatchLine(nil, ns, parentID)
	if err != nil {
		return false, err
	}
	for range limit {
		raw := it.Next()
		if raw == nil {
			return false, nil
		}
		if raw.(*nomadlike.Job).ID == childID {
			return true, nil
		}
	}
	return false, nil
}
