package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// jobOutcome is the Outcome a job gets with status: nil unless the job is
// dead, else nomadlike.ComputeOutcome over its allocations. It is computed
// in the write transaction that sets the status (a job register and
// refreshStatuses), so it is as consistent as Status, replicated through
// the FSM like it, and costs one scan of the job's allocations only while
// the job is dead (a dead job gets few writes).
func jobOutcome(txn *memdb.Txn, job *nomadlike.Job, status string) (*nomadlike.JobOutcome, error) {
	if status != nomadlike.JobStatusDead || (job.Type != nomadlike.JobTypeBatch && job.Type != nomadlike.JobTypeSysBatch) {
		return nil, nil
	}
	allocs, err := list[nomadlike.Allocation](txn, nil, nil, TableAllocs, indexJob, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	return nomadlike.ComputeOutcome(job, allocs), nil
}

// sameOutcome reports whether two outcomes are equal (both nil included).
func sameOutcome(a, b *nomadlike.JobOutcome) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// keepRerun carries the Rerun marker of the stored version of a job over to
// an unchanged submission without one (`job run` of the same file after a
// `job rerun`): the version stays, and so do the indexes the rerun kept.
func keepRerun(existing, job *nomadlike.Job) {
	if job.Rerun == nil {
		job.Rerun = existing.Rerun.Copy()
	}
}
