package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// UpdateAllocsFromClient records a client's allocation updates
// (ClientStatus, ClientDescription, TaskStates, NetworkStatus; other
// fields are ignored).
// secretID must be the SecretID of the node every allocation is placed on
// (else an error wrapping nomadlike.ErrPermission, nothing written).
// Updates arriving while another batch is written share one raft entry
// (s.batcher, a groupCommitter collecting for Config.ClientUpdateBatch
// after each write); a batch of more than Config.MaxAllocsPerEntry updates
// is written as several entries back to back, and every caller gets the
// index of the last. Failed allocations of groups with a reschedule
// policy get an evaluation; finished ones unblock blocked evaluations.
func (s *Server) UpdateAllocsFromClient(secretID string, allocs []*nomadlike.Allocation) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("update allocations")
	}
	node, err := s.nodeBySecret("update allocations", secretID)
	if err != nil {
		return 0, err
	}
	if err := s.checkClientAllocs(node, allocs); err != nil {
		return 0, err
	}
	return s.updateAllocsFromClient(allocs)
}

// updateAllocsFromClient is UpdateAllocsFromClient once the caller is
// authenticated.
func (s *Server) updateAllocsFromClient(allocs []*nomadlike.Allocation) (uint64, error) {
	if len(allocs) == 0 {
		return 0, fmt.Errorf("update allocations: %w: no allocations", nomadlike.ErrValidation)
	}
	updates := make([]*nomadlike.Allocation, 0, len(allocs))
	for _, a := range allocs {
		if a == nil || a.ID == "" {
			return 0, fmt.Errorf("update allocations: %w: allocation ID is required", nomadlike.ErrValidation)
		}
		u := &nomadlike.Allocation{ID: a.ID, ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription, ModifyTime: a.ModifyTime,
			NetworkStatus: a.NetworkStatus.Copy()} // bridge networking
		if a.TaskStates != nil {
			u.TaskStates = make(map[string]*nomadlike.TaskState, len(a.TaskStates))
			for k, ts := range a.TaskStates {
				u.TaskStates[k] = ts.Copy()
			}
		}
		if ds := a.DeploymentStatus; ds != nil && ds.Healthy != nil { // deployments: the client's health verdict
			h := *ds.Healthy
			u.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Healthy: &h, Timestamp: ds.Timestamp}
		}
		updates = append(updates, u)
	}
	return s.batcher.commit(updates)
}

// retriesFailed reports whether update u fails allocation a, which its
// group's reschedule policy may replace.
func retriesFailed(a, u *nomadlike.Allocation) bool {
	if u.ClientStatus != nomadlike.AllocClientStatusFailed || a.DesiredStatus != nomadlike.AllocDesiredStatusRun || a.Job == nil {
		return false
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	return tg != nil && tg.ReschedulePolicy != nil && (tg.ReschedulePolicy.Attempts != 0 || tg.ReschedulePolicy.Unlimited)
}

// applyClientUpdates writes one batch with the evaluations it causes, in
// entries of at most MaxAllocsPerEntry updates; the evaluations go in the
// last entry.
func (s *Server) applyClientUpdates(updates []*nomadlike.Allocation) (uint64, error) {
	st := s.fsm.State()
	var evals []*nomadlike.Evaluation
	seen := map[nomadlike.NamespacedID]bool{}
	freed := map[string]bool{} // node IDs where an allocation finished
	var finished finishedJobs  // nomadlike's queue: max_concurrent, job depends_on (dispatch_queue.go)
	for _, u := range updates {
		a, err := st.AllocByID(nil, u.ID)
		if err != nil {
			return 0, err
		}
		if a == nil {
			continue
		}
		if a.ClientTerminalStatus() || !clientTerminal(u.ClientStatus) {
			continue // no transition to terminal in this update
		}
		freed[a.NodeID] = true
		finished.note(a)
		trigger := nomadlike.EvalTriggerRetryFailedAlloc
		if a.Job != nil && a.Job.HasDependents(a.TaskGroup) {
			// nomadlike's depends_on: a finished allocation of a group
			// others depend on may let them be placed (or skipped).
			trigger = nomadlike.EvalTriggerGroupDependency
		} else if !retriesFailed(a, u) {
			continue
		}
		key := nomadlike.NamespacedID{ID: a.JobID, Namespace: a.Namespace}
		if seen[key] {
			continue
		}
		seen[key] = true
		job, err := st.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			return 0, err
		}
		if job == nil || job.Stop {
			continue
		}
		evals = append(evals, newEval(job, trigger))
	}
	chunks := splitClientUpdates(updates, evals, s.cfg.MaxAllocsPerEntry)
	reqs := make([]any, len(chunks))
	for i, c := range chunks {
		reqs[i] = c
	}
	index, err := s.raftApplyAll(fsm.AllocClientUpdateRequestType, reqs).Wait()
	if err != nil {
		return 0, fmt.Errorf("update allocations: %w", err)
	}
	for nodeID := range freed {
		n, err := st.NodeByID(nil, nodeID)
		if err == nil && n != nil {
			s.unblockNode(n, index)
		}
	}
	s.kickQueues(finished)
	return index, nil
}

func clientTerminal(status string) bool {
	switch status {
	case nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost:
		return true
	}
	return false
}

// StopAlloc marks an allocation for migration and creates an evaluation
// that stops it and places a replacement.
func (s *Server) StopAlloc(allocID string) (string, uint64, error) {
	if !s.IsLeader() {
		return "", 0, notLeader("stop allocation")
	}
	st := s.fsm.State()
	a, err := st.AllocByID(nil, allocID)
	if err != nil {
		return "", 0, err
	}
	if a == nil {
		return "", 0, fmt.Errorf("stop allocation %s: %w", allocID, nomadlike.ErrNotFound)
	}
	job, err := st.JobByID(nil, a.Namespace, a.JobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		job = a.Job
	}
	if job == nil {
		return "", 0, fmt.Errorf("stop allocation %s: job %s: %w", allocID, a.JobID, nomadlike.ErrJobNotFound)
	}
	migrate := true
	c := a.Copy()
	c.Job = nil
	c.DesiredTransition.Migrate = &migrate
	eval := newEval(job, nomadlike.EvalTriggerAllocStop)
	index, err := s.raftApply(fsm.AllocUpdateRequestType, &fsm.AllocUpdateRequest{Allocs: []*nomadlike.Allocation{c}, Evals: []*nomadlike.Evaluation{eval}})
	if err != nil {
		return "", 0, fmt.Errorf("stop allocation %s: %w", allocID, err)
	}
	return eval.ID, index, nil
}
