package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// AllocDesiredTransitionRequest sets desired transitions of allocations
// (the node drainer marks allocations to migrate), with the evaluations
// that act on them.
type AllocDesiredTransitionRequest struct {
	// Allocs maps allocation IDs to the transition to merge in: its
	// non-nil fields replace the stored ones.
	Allocs map[string]*nomadlike.DesiredTransition `json:"Allocs"`
	Evals  []*nomadlike.Evaluation                 `json:"Evals"`
}

// UpdateAllocsDesiredTransitions merges the transitions of req.Allocs into
// the stored allocations at index (unknown IDs are skipped); only
// DesiredTransition and ModifyIndex change, so a concurrent plan's stop
// is never undone. The caller stores req.Evals.
func (s *StateStore) UpdateAllocsDesiredTransitions(index uint64, allocs map[string]*nomadlike.DesiredTransition) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		w := s.newAllocWrite(txn, index)
		written := false
		for id, t := range allocs {
			if t == nil {
				continue
			}
			existing, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, id)
			if err != nil {
				return err
			}
			if existing == nil {
				continue
			}
			cp := *existing // sub-objects stay shared: none changes
			cp.DesiredTransition = mergeTransition(existing.DesiredTransition, t)
			cp.ModifyIndex = index
			if err := txn.Insert(TableAllocs, &cp); err != nil {
				return fmt.Errorf("update desired transition of alloc %q: %w", id, err)
			}
			if err := w.written(existing, &cp); err != nil {
				return err
			}
			written = true
		}
		if err := w.sums.flush(); err != nil {
			return err
		}
		if !written {
			return nil
		}
		if err := bumpIndex(txn, TableAllocs, index); err != nil {
			return err
		}
		return refreshStatuses(txn, index, w.js)
	})
}

func mergeTransition(cur nomadlike.DesiredTransition, in *nomadlike.DesiredTransition) nomadlike.DesiredTransition {
	if in.Migrate != nil {
		v := *in.Migrate
		cur.Migrate = &v
	}
	if in.Reschedule != nil {
		v := *in.Reschedule
		cur.Reschedule = &v
	}
	if in.ForceReschedule != nil {
		v := *in.ForceReschedule
		cur.ForceReschedule = &v
	}
	return cur
}
