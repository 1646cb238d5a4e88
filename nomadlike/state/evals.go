package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// UpsertEvals stores evaluations at raft index. An existing evaluation keeps
// its CreateIndex and CreateTime; a new one takes CreateTime from the
// request (ModifyTime when CreateTime is zero). Non-nil QueuedAllocations
// set the Queued counts of the job summary, and the status of every job
// concerned is recomputed.
func (s *StateStore) UpsertEvals(index uint64, evals []*nomadlike.Evaluation) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		js := jobSet{}
		if err := upsertEvalsTxn(txn, index, evals, js); err != nil {
			return err
		}
		return refreshStatuses(txn, index, js)
	})
}

func upsertEvalsTxn(txn *memdb.Txn, index uint64, evals []*nomadlike.Evaluation, js jobSet) error {
	if len(evals) == 0 {
		return nil
	}
	for _, in := range evals {
		if in == nil || in.ID == "" {
			return fmt.Errorf("upsert eval: %w: evaluation needs an ID", nomadlike.ErrValidation)
		}
		eval := in.Copy()
		existing, err := first[nomadlike.Evaluation](txn, nil, TableEvals, indexID, eval.ID)
		if err != nil {
			return err
		}
		if existing != nil {
			eval.CreateIndex = existing.CreateIndex
			eval.CreateTime = existing.CreateTime
		} else {
			eval.CreateIndex = index
			if eval.CreateTime == 0 {
				eval.CreateTime = eval.ModifyTime
			}
		}
		if eval.ModifyTime == 0 {
			eval.ModifyTime = eval.CreateTime
		}
		eval.ModifyIndex = index
		if err := txn.Insert(TableEvals, eval); err != nil {
			return fmt.Errorf("upsert eval %q: %w", eval.ID, err)
		}
		if err := summarizeQueued(txn, index, eval); err != nil {
			return err
		}
		js.add(eval.Namespace, eval.JobID)
	}
	return bumpIndex(txn, TableEvals, index)
}

// DeleteEvals removes evaluations and allocations (garbage collection). IDs
// that do not exist are skipped. Job summaries are not changed; job statuses
// are recomputed.
func (s *StateStore) DeleteEvals(index uint64, evalIDs, allocIDs []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		js := jobSet{}
		for _, id := range evalIDs {
			e, err := first[nomadlike.Evaluation](txn, nil, TableEvals, indexID, id)
			if err != nil {
				return err
			}
			if e == nil {
				continue
			}
			if err := txn.Delete(TableEvals, e); err != nil {
				return fmt.Errorf("delete eval %q: %w", id, err)
			}
			js.add(e.Namespace, e.JobID)
		}
		for _, id := range allocIDs {
			a, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, id)
			if err != nil {
				return err
			}
			if a == nil {
				continue
			}
			if err := txn.Delete(TableAllocs, a); err != nil {
				return fmt.Errorf("delete alloc %q: %w", id, err)
			}
			if err := deleteServicesTxn(txn, index, indexAlloc, id); err != nil { // service catalog
				return err
			}
			s.allocNodes(a.NodeID, "")
			js.add(a.Namespace, a.JobID)
		}
		if len(evalIDs) > 0 {
			if err := bumpIndex(txn, TableEvals, index); err != nil {
				return err
			}
		}
		if len(allocIDs) > 0 {
			if err := bumpIndex(txn, TableAllocs, index); err != nil {
				return err
			}
		}
		return refreshStatuses(txn, index, js)
	})
}
