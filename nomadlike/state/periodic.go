package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// PeriodicJobs returns the periodic parents of every namespace, stopped and
// disabled ones included. Its watch fires only when one of them
// changes, so the leader's launcher can block on it cheaply.
func (r *Reader) PeriodicJobs(ws memdb.WatchSet) ([]*nomadlike.Job, error) {
	return list[nomadlike.Job](r.txn(ws), ws, nil, TableJobs, indexPeriodic, true)
}

// JobsByParent returns the children (periodic launches and dispatches) of
// the job, ordered by ID.
func (r *Reader) JobsByParent(ws memdb.WatchSet, ns, parentID string) ([]*nomadlike.Job, error) {
	return list[nomadlike.Job](r.txn(ws), ws, nil, TableJobs, indexParent, ns, parentID)
}

// PeriodicLaunchByID returns the last launch of the periodic job, or nil,
// nil when it never launched.
func (r *Reader) PeriodicLaunchByID(ws memdb.WatchSet, ns, id string) (*nomadlike.PeriodicLaunch, error) {
	return first[nomadlike.PeriodicLaunch](r.txn(ws), ws, TablePeriodicLaunch, indexID, ns, id)
}

// UpsertPeriodicLaunch records a launch of a periodic job at raft index, in
// one transaction with the child job it launched and the child's
// evaluations (both nil for a launch skipped because of prohibit_overlap).
// The recorded time never goes backwards: a launch older than the stored one
// leaves the time as it is. A child whose ID already exists was launched
// before (by an earlier leader): the error wraps nomadlike.ErrConflict and
// nothing is written. The evaluations get the child's JobModifyIndex.
func (s *StateStore) UpsertPeriodicLaunch(index uint64, launch *nomadlike.PeriodicLaunch, child *nomadlike.Job, evals []*nomadlike.Evaluation) error {
	if launch == nil || launch.ID == "" || launch.Namespace == "" {
		return fmt.Errorf("upsert periodic launch: %w: launch needs an ID and a namespace", nomadlike.ErrValidation)
	}
	return s.writeTxn(func(txn *memdb.Txn) error {
		js := jobSet{}
		if child != nil {
			existing, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, child.Namespace, child.ID)
			if err != nil {
				return err
			}
			if existing != nil {
				return fmt.Errorf("launch %q: %w: job %q already exists (launched at index %d)", launch.ID, nomadlike.ErrConflict, child.ID, existing.CreateIndex)
			}
			if err := upsertJobTxn(txn, index, child); err != nil {
				return fmt.Errorf("launch %q: %w", child.ID, err)
			}
			for _, e := range evals {
				if e != nil {
					e.JobModifyIndex = index
				}
			}
			if err := upsertEvalsTxn(txn, index, evals, js); err != nil {
				return err
			}
		}
		cur, err := first[nomadlike.PeriodicLaunch](txn, nil, TablePeriodicLaunch, indexID, launch.Namespace, launch.ID)
		if err != nil {
			return err
		}
		rec := *launch
		rec.CreateIndex, rec.ModifyIndex = index, index
		if cur != nil {
			rec.CreateIndex = cur.CreateIndex
			if cur.Launch.After(rec.Launch) {
				rec.Launch = cur.Launch
			}
		}
		if err := txn.Insert(TablePeriodicLaunch, &rec); err != nil {
			return fmt.Errorf("upsert periodic launch %q: %w", launch.ID, err)
		}
		if err := bumpIndex(txn, TablePeriodicLaunch, index); err != nil {
			return err
		}
		return refreshStatuses(txn, index, js)
	})
}

// deletePeriodicLaunch removes a purged job's launch record, if any.
func deletePeriodicLaunch(txn *memdb.Txn, index uint64, ns, id string) error {
	n, err := txn.DeleteAll(TablePeriodicLaunch, indexID, ns, id)
	if err != nil {
		return fmt.Errorf("delete periodic launch of %q: %w", id, err)
	}
	if n == 0 {
		return nil
	}
	return bumpIndex(txn, TablePeriodicLaunch, index)
}

// adjustChildren moves a child job from status old to cur ("" when the
// child is new or deleted) in its parent's children summary (Pending,
// Running, Dead by the child's status). Jobs without a parent, and children
// whose parent has no summary (purged), change nothing.
func adjustChildren(txn *memdb.Txn, index uint64, child *nomadlike.Job, old, cur string) error {
	if child.ParentID == "" || old == cur {
		return nil
	}
	stored, err := first[nomadlike.JobSummary](txn, nil, TableJobSummary, indexID, child.Namespace, child.ParentID)
	if err != nil || stored == nil {
		return err
	}
	sum := copySummary(stored)
	if sum.Children == nil {
		sum.Children = &nomadlike.JobChildrenSummary{}
	}
	if n := childCounter(sum.Children, old); n != nil && *n > 0 {
		*n--
	}
	if n := childCounter(sum.Children, cur); n != nil {
		*n++
	}
	return putSummary(txn, index, sum)
}

func childCounter(c *nomadlike.JobChildrenSummary, status string) *int64 {
	switch status {
	case nomadlike.JobStatusPending:
		return &c.Pending
	case nomadlike.JobStatusRunning:
		return &c.Running
	case nomadlike.JobStatusDead:
		return &c.Dead
	}
	return nil
}
