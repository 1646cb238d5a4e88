package state

import "github.com/nomadlike/nomadlike/nomadlike"

// ChildJobs returns the children of the job (scheduler.ChildJobsState: the
// scheduler's max_concurrent check of dispatched children).
func (s *Snapshot) ChildJobs(ns, parentID string) ([]*nomadlike.Job, error) {
	return s.Reader.JobsByParent(nil, ns, parentID)
}
