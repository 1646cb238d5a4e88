package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TableScalingEvents holds each job's scaling events
// (nomadlike.JobScalingEvents), by (Namespace, JobID). Purging a job
// deletes its row.
const TableScalingEvents = "scaling_event"

func scalingEventsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableScalingEvents,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("JobID")},
		},
	}
}

// ScalingEventsByJob returns the job's scaling events, nil when it has
// none.
func (r *Reader) ScalingEventsByJob(ws memdb.WatchSet, ns, jobID string) (*nomadlike.JobScalingEvents, error) {
	return first[nomadlike.JobScalingEvents](r.txn(ws), ws, TableScalingEvents, indexID, ns, jobID)
}

// UpsertScalingEvent records ev (its CreateIndex set to index) first among
// the events of group in job (ns, jobID), keeping the newest
// nomadlike.JobTrackedScalingEvents per group. The job must exist
// (nomadlike.ErrJobNotFound otherwise).
func (s *StateStore) UpsertScalingEvent(index uint64, ns, jobID, group string, ev *nomadlike.ScalingEvent) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		job, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, ns, jobID)
		if err != nil {
			return err
		}
		if job == nil {
			return fmt.Errorf("scaling event of job %q in %q: %w", jobID, ns, nomadlike.ErrJobNotFound)
		}
		existing, err := first[nomadlike.JobScalingEvents](txn, nil, TableScalingEvents, indexID, ns, jobID)
		if err != nil {
			return err
		}
		row := &nomadlike.JobScalingEvents{Namespace: ns, JobID: jobID}
		if existing != nil {
			row = existing.Copy()
		}
		ev = ev.Copy()
		ev.CreateIndex = index
		row.Add(group, ev)
		row.ModifyIndex = index
		if err := txn.Insert(TableScalingEvents, row); err != nil {
			return fmt.Errorf("insert scaling events of job %q: %w", jobID, err)
		}
		return bumpIndex(txn, TableScalingEvents, index)
	})
}

// deleteScalingEventsTxn deletes the scaling events of a purged job.
func deleteScalingEventsTxn(txn *memdb.Txn, index uint64, ns, jobID string) error {
	n, err := txn.DeleteAll(TableScalingEvents, indexID, ns, jobID)
	if err != nil {
		return fmt.Errorf("delete scaling events of job %q: %w", jobID, err)
	}
	if n == 0 {
		return nil
	}
	return bumpIndex(txn, TableScalingEvents, index)
}
