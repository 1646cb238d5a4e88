package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// jobOutcome is the Outcome a job gets when its status becomes status: nil
// unless the job is a dead batch or sysbatch job, else
// nomadlike.ComputeOutcome over its allocations. It is computed in the
// write transaction that changes the status (refreshStatuses, a job
// register), so it is as consistent as Status and replicated through the
// FSM like it, and it costs one scan of the job's allocations once per
// finish. Once decided it stays while the job stays dead: later writes
// (a stop of the finished job, garbage collection of its allocations) do
// not change a finished job's result.
func jobOutcome(txn *memdb.Txn, job *nomadlike.Job, status string) (*nomadlike.JobOutcome, error) {
	if status == nomadlike.JobStatusDead && job.SkipReason != "" {
		// nomadlike's job-level depends_on: never ran, skipped.
		return &nomadlike.JobOutcome{Status: nomadlike.OutcomeSkipped, Reason: job.SkipReason}, nil
	}
	if status != nomadlike.JobStatusDead || (job.Type != nomadlike.JobTypeBatch && job.Type != nomadlike.JobTypeSysBatch) {
		return nil, nil
	}
	allocs, err := list[nomadlike.Allocation](txn, nil, nil, TableAllocs, indexJob, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	return nomadlike.ComputeOutcome(job, allocs), nil
}

// registerOutcome is the Outcome of job as registered over existing: the
// existing one while the job stays dead, else jobOutcome.
func registerOutcome(txn *memdb.Txn, existing, job *nomadlike.Job) (*nomadlike.JobOutcome, error) {
	if existing != nil && existing.Outcome != nil && existing.Status == nomadlike.JobStatusDead && job.Status == nomadlike.JobStatusDead {
		return existing.Outcome, nil
	}
	return jobOutcome(txn, job, job.Status)
}

// keepRerun carries the Rerun marker of the stored version of a job over to
// an unchanged submission without one (`job run` of the same file after a
// `job rerun`): the version stays, and so do the indexes the rerun kept.
func keepRerun(existing, job *nomadlike.Job) {
	if job.Rerun == nil {
		job.Rerun = existing.Rerun.Copy()
	}
}
