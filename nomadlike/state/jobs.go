package state

import (
	"errors"
	"fmt"
	"reflect"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// JobTrackedVersions is how many versions of a job job_versions keeps.
const JobTrackedVersions = 6

var errNilJob = errors.New("nil job")

// UpsertJob stores job at raft index. The first version of a job is 0; the
// version goes up by one, JobModifyIndex moves to index and Stable is
// cleared when the spec differs from the stored job (fields ignored by the
// comparison: indexes, Status, StatusDescription, Version, SubmitTime,
// Stable). SubmitTime is taken from job as given. The last
// JobTrackedVersions versions are kept in job_versions, the job summary
// gains any new task group, and Status is set by the rule of jobStatus. A
// child job (ParentID set) is counted in its parent's children summary.
func (s *StateStore) UpsertJob(index uint64, job *nomadlike.Job) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		if err := upsertJobTxn(txn, index, job); err != nil {
			if job != nil {
				return fmt.Errorf("upsert job %q in %q: %w", job.ID, job.Namespace, err)
			}
			return fmt.Errorf("upsert job: %w", err)
		}
		return nil
	})
}

func upsertJobTxn(txn *memdb.Txn, index uint64, in *nomadlike.Job) error {
	if in == nil {
		return errNilJob
	}
	if in.ID == "" || in.Namespace == "" {
		return fmt.Errorf("%w: job needs an ID and a namespace", nomadlike.ErrValidation)
	}
	if err := checkJobNamespace(txn, in); err != nil {
		return err
	}
	job := in.Copy()
	existing, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	job.ModifyIndex = index
	switch {
	case existing == nil:
		job.CreateIndex = index
		job.JobModifyIndex = index
		job.Version = 0
	case specChanged(existing, job):
		job.CreateIndex = existing.CreateIndex
		job.JobModifyIndex = index
		job.Version = existing.Version + 1
		job.Stable = false
	default:
		keepRerun(existing, job)
		job.CreateIndex = existing.CreateIndex
		job.JobModifyIndex = existing.JobModifyIndex
		job.Version = existing.Version
		job.Stable = existing.Stable
	}
	if err := ensureSummary(txn, index, job); err != nil {
		return err
	}
	job.Status, err = jobStatus(txn, job)
	if err != nil {
		return err
	}
	if job.Outcome, err = registerOutcome(txn, existing, job); err != nil { // batch and CI (outcome.go)
		return err
	}
	oldStatus := ""
	if existing != nil {
		oldStatus = existing.Status
	}
	if err := adjustChildren(txn, index, job, oldStatus, job.Status); err != nil {
		return err
	}
	if err := txn.Insert(TableJobs, job); err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	if err := txn.Insert(TableJobVersions, job); err != nil {
		return fmt.Errorf("insert job version: %w", err)
	}
	if err := pruneVersions(txn, job.Namespace, job.ID); err != nil {
		return err
	}
	if err := bumpIndex(txn, TableJobs, index); err != nil {
		return err
	}
	return bumpIndex(txn, TableJobVersions, index)
}

// specChanged reports whether the user-visible spec of two versions of a job
// differs, ignoring what the store and the server set.
func specChanged(old, cur *nomadlike.Job) bool {
	a, b := *old, *cur
	for _, j := range []*nomadlike.Job{&a, &b} {
		j.Status, j.StatusDescription = "", ""
		j.Outcome = nil
		j.Stable = false
		j.Version, j.SubmitTime = 0, 0
		j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = 0, 0, 0
	}
	if b.Rerun == nil {
		a.Rerun = nil // submitting a rerun job's spec again is no change (keepRerun)
	}
	return !reflect.DeepEqual(&a, &b)
}

func pruneVersions(txn *memdb.Txn, ns, id string) error {
	versions, err := jobVersions(txn, nil, ns, id)
	if err != nil {
		return err
	}
	for len(versions) > JobTrackedVersions {
		if err := txn.Delete(TableJobVersions, versions[0]); err != nil {
			return fmt.Errorf("delete job version %d: %w", versions[0].Version, err)
		}
		versions = versions[1:]
	}
	return nil
}

// DeleteJob purges the job, its versions, its summary and its periodic
// launch record, and takes it out of its parent's children summary. Its
// evaluations and allocations stay until garbage collected. It returns an error wrapping
// nomadlike.ErrJobNotFound when the job does not exist.
func (s *StateStore) DeleteJob(index uint64, ns, id string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		job, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, ns, id)
		if err != nil {
			return err
		}
		if job == nil {
			return fmt.Errorf("delete job %q in %q: %w", id, ns, nomadlike.ErrJobNotFound)
		}
		return deleteJobTxn(txn, index, job)
	})
}

// deleteJobTxn removes a stored job, its versions, summary, periodic launch
// and scaling events (shared by DeleteJob and the garbage collector, gc.go).
func deleteJobTxn(txn *memdb.Txn, index uint64, job *nomadlike.Job) error {
	ns, id := job.Namespace, job.ID
	if err := txn.Delete(TableJobs, job); err != nil {
		return fmt.Errorf("delete job %q: %w", id, err)
	}
	if _, err := txn.DeleteAll(TableJobVersions, indexID+"_prefix", ns, id+"\x00"); err != nil {
		return fmt.Errorf("delete versions of job %q: %w", id, err)
	}
	if _, err := txn.DeleteAll(TableJobSummary, indexID, ns, id); err != nil {
		return fmt.Errorf("delete summary of job %q: %w", id, err)
	}
	if err := deletePeriodicLaunch(txn, index, ns, id); err != nil {
		return err
	}
	if err := deleteScalingEventsTxn(txn, index, ns, id); err != nil { // job scaling events (scaling.go)
		return err
	}
	if err := deleteServicesTxn(txn, index, indexJob, ns, id); err != nil { // service catalog
		return err
	}
	if err := deleteJobDeploymentsTxn(txn, index, ns, id); err != nil { // deployments (deployments.go)
		return err
	}
	if err := adjustChildren(txn, index, job, job.Status, ""); err != nil {
		return err
	}
	for _, t := range []string{TableJobs, TableJobVersions, TableJobSummary} {
		if err := bumpIndex(txn, t, index); err != nil {
			return err
		}
	}
	return nil
}

// jobStatus is the status rule, first match wins:
//  1. a stopped job (Stop) is dead;
//  2. a periodic or parameterized parent is running;
//  3. a job with a non-terminal allocation is running;
//  4. a job with a pending or blocked evaluation is running when it has any
//     allocation, pending otherwise;
//  5. a job with no allocation is pending;
//  6. otherwise (every allocation terminal, no open evaluation) it is dead.
func jobStatus(txn *memdb.Txn, job *nomadlike.Job) (string, error) {
	if job.Stop {
		return nomadlike.JobStatusDead, nil
	}
	if job.IsPeriodic() || job.IsParameterized() {
		return nomadlike.JobStatusRunning, nil
	}
	// Stop at the first live allocation: this runs on every client update,
	// and a job of thousands has some live ones until its very end.
	it, err := txn.Get(TableAllocs, indexJob, job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("list %s by %s: %w", TableAllocs, indexJob, err)
	}
	hasAllocs := false
	for raw := it.Next(); raw != nil; raw = it.Next() {
		hasAllocs = true
		if !raw.(*nomadlike.Allocation).TerminalStatus() {
			return nomadlike.JobStatusRunning, nil
		}
	}
	evals, err := list[nomadlike.Evaluation](txn, nil, nil, TableEvals, indexJob, job.Namespace, job.ID)
	if err != nil {
		return "", err
	}
	for _, e := range evals {
		if !e.TerminalStatus() {
			if hasAllocs {
				return nomadlike.JobStatusRunning, nil
			}
			return nomadlike.JobStatusPending, nil
		}
	}
	if !hasAllocs {
		return nomadlike.JobStatusPending, nil
	}
	return nomadlike.JobStatusDead, nil
}

// jobSet collects the jobs a write touched so their status is recomputed
// once at the end of the transaction.
type jobSet map[nomadlike.NamespacedID]struct{}

func (js jobSet) add(ns, id string) {
	if id != "" {
		js[nomadlike.NamespacedID{Namespace: ns, ID: id}] = struct{}{}
	}
}

// refreshStatuses recomputes the status of every job in js and stores a new
// copy of those whose status changed.
func refreshStatuses(txn *memdb.Txn, index uint64, js jobSet) error {
	for key := range js {
		job, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, key.Namespace, key.ID)
		if err != nil {
			return err
		}
		if job == nil {
			continue
		}
		status, err := jobStatus(txn, job)
		if err != nil {
			return err
		}
		if status == job.Status {
			continue
		}
		outcome, err := jobOutcome(txn, job, status) // batch and CI (outcome.go)
		if err != nil {
			return err
		}
		if err := adjustChildren(txn, index, job, job.Status, status); err != nil {
			return err
		}
		updated := job.Copy()
		updated.Status = status
		updated.Outcome = outcome
		updated.ModifyIndex = index
		if err := txn.Insert(TableJobs, updated); err != nil {
			return fmt.Errorf("update status of job %q: %w", key.ID, err)
		}
		if err := bumpIndex(txn, TableJobs, index); err != nil {
			return err
		}
	}
	return nil
}
