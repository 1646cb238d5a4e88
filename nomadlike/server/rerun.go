package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// RerunJob runs a finished batch or sysbatch job again (nomadlike's `job
// rerun`; Nomad cannot run an unchanged batch job again): it registers a
// new version of the job that differs only by its Rerun marker
// (nomadlike.JobRerun) and is no longer stopped, with an evaluation, as
// RegisterJob does and enforcing the job's current JobModifyIndex. With
// failedOnly the marker lists the indexes whose latest attempt did not
// succeed, and the scheduler places only those; else every index runs
// again. Errors: nomadlike.ErrJobNotFound; nomadlike.ErrConflict for a job
// that is not batch or sysbatch, is a periodic or parameterized parent, has
// not finished, or (failedOnly) has nothing that did not succeed;
// nomadlike.ErrValidation for failedOnly on a sysbatch job;
// ErrIndexMismatch when the job changed meanwhile. Returns after commit.
func (s *Server) RerunJob(ns, jobID string, failedOnly bool) (evalID string, index uint64, warnings string, err error) {
	if !s.IsLeader() {
		return "", 0, "", notLeader("rerun job")
	}
	if ns == "" {
		ns = nomadlike.DefaultNamespace
	}
	fail := func(err error) (string, uint64, string, error) {
		return "", 0, "", fmt.Errorf("rerun job %s: %w", reqlimit.Quote(jobID), err)
	}
	job, err := s.fsm.State().JobByID(nil, ns, jobID)
	if err != nil {
		return fail(err)
	}
	if job == nil {
		return fail(nomadlike.ErrJobNotFound)
	}
	switch {
	case job.Type != nomadlike.JobTypeBatch && job.Type != nomadlike.JobTypeSysBatch:
		return fail(fmt.Errorf("%w: a %s job runs until stopped; only batch and sysbatch jobs are run again", nomadlike.ErrConflict, job.Type))
	case job.IsPeriodic() || job.IsParameterized():
		return fail(fmt.Errorf("%w: a periodic or parameterized job launches child jobs; rerun a child", nomadlike.ErrConflict))
	case job.Status != nomadlike.JobStatusDead:
		return fail(fmt.Errorf("%w: the job is %s; wait for it to finish (job wait)", nomadlike.ErrConflict, job.Status))
	case failedOnly && job.Type == nomadlike.JobTypeSysBatch:
		return fail(fmt.Errorf("%w: -failed: a sysbatch job runs once per node and is run again whole", nomadlike.ErrValidation))
	}
	rerun := &nomadlike.JobRerun{OfVersion: job.Version}
	if failedOnly {
		allocs, err := s.fsm.State().AllocsByJob(nil, ns, jobID)
		if err != nil {
			return fail(err)
		}
		rerun.Indexes = nomadlike.RerunIndexes(nomadlike.Shards(job, allocs))
		if len(rerun.Indexes) == 0 {
			return fail(fmt.Errorf("%w: every index of the job succeeded; nothing failed to run again", nomadlike.ErrConflict))
		}
	}
	next := job.Copy()
	next.Stop = false
	next.Outcome = nil
	next.Rerun = rerun
	return s.RegisterJob(next, true, job.JobModifyIndex)
}
