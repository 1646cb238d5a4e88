package state

import memdb "github.com/hashicorp/go-memdb"

// Change is one object a committed write inserted (Before nil), updated
// or deleted (After nil), in table Table. Both are stored objects: shared,
// never to be modified.
type Change struct {
	Table         string
	Before, After any
}

// changeTables are the tables whose changes TakeChanges reports (the event
// stream's topics).
var changeTables = map[string]bool{TableJobs: true, TableEvals: true, TableAllocs: true, TableNodes: true}

// TrackChanges makes every later write record the objects it changed in
// the jobs, evals, allocs and nodes tables, until TakeChanges takes them.
// Only the writer (the FSM) calls it and TakeChanges, between writes.
func (s *StateStore) TrackChanges() { s.tracking = true }

// TakeChanges returns the changes recorded since the last call and forgets
// them. The caller owns the slice.
func (s *StateStore) TakeChanges() []Change {
	out := s.changes
	s.changes = nil
	return out
}

// recordChanges keeps the changes of a committed transaction.
func (s *StateStore) recordChanges(changes memdb.Changes) {
	for _, c := range changes {
		if changeTables[c.Table] {
			s.changes = append(s.changes, Change{Table: c.Table, Before: c.Before, After: c.After})
		}
	}
}
