package state

// LiveChildren counts the children of the job that are not dead (pending
// or running), from its job summary: the scheduler's cheap first check of
// max_concurrent (scheduler.ChildJobsState).
func (s *Snapshot) LiveChildren(ns, parentID string) (int64, error) {
	sum, err := s.Reader.JobSummaryByID(nil, ns, parentID)
	if err != nil || sum == nil || sum.Children == nil {
		return 0, err
	}
	return sum.Children.Pending + sum.Children.Running, nil
}
