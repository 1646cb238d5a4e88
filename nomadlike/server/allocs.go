package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// allocBatcher writes client allocation updates to raft, many per entry
// (group commit). An update that finds no write in progress is written at
// once, so an idle cluster adds no delay; updates arriving while a write is
// in progress are collected, then for ClientUpdateBatch more once it ends,
// and written together, so that under load raft sees one entry per
// ClientUpdateBatch (plus the write's own time) whatever the number of
// clients. A batch of more than Config.MaxAllocsPerEntry updates is written
// as several entries, back to back. Every caller of a batch gets the index
// of its last entry, once all are written.
type allocBatcher struct {
	s       *Server
	stopCh  chan struct{}
	mu      sync.Mutex
	cur     *allocBatch
	busy    bool // the writer goroutine runs
	stopped bool
}

type allocBatch struct {
	updates []*nomadlike.Allocation
	doneCh  chan struct{}
	index   uint64
	err     error
}

func newAllocBatcher(s *Server) *allocBatcher {
	return &allocBatcher{s: s, stopCh: make(chan struct{})}
}

func (b *allocBatcher) add(updates []*nomadlike.Allocation) *allocBatch {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return nil
	}
	if b.cur == nil {
		b.cur = &allocBatch{doneCh: make(chan struct{})}
	}
	b.cur.updates = append(b.cur.updates, updates...)
	if !b.busy {
		b.busy = true
		go b.write()
	}
	return b.cur
}

// write writes batches until none is pending: the first at once, each
// later one after collecting for ClientUpdateBatch.
func (b *allocBatcher) write() {
	for {
		b.flush()
		b.mu.Lock()
		if b.cur == nil || b.stopped {
			b.busy = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		if d := b.s.cfg.ClientUpdateBatch; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-b.stopCh:
				t.Stop()
			}
		}
	}
}

// flush writes the collected batch, if any.
func (b *allocBatcher) flush() {
	b.mu.Lock()
	batch := b.cur
	b.cur = nil
	b.mu.Unlock()
	if batch == nil {
		return
	}
	batch.index, batch.err = b.s.applyClientUpdates(batch.updates)
	close(batch.doneCh)
}

// stop flushes nothing more: a pending batch is failed.
func (b *allocBatcher) stop() {
	b.mu.Lock()
	if !b.stopped {
		close(b.stopCh)
	}
	b.stopped = true
	batch := b.cur
	b.cur = nil
	b.mu.Unlock()
	if batch != nil {
		batch.err = fmt.Errorf("server shutting down: %w", nomadlike.ErrNotLeader)
		close(batch.doneCh)
	}
}

// UpdateAllocsFromClient records a client's allocation updates
// (ClientStatus, ClientDescription, TaskStates, NetworkStatus; other
// fields are ignored).
// secretID must be the SecretID of the node every allocation is placed on
// (else an error wrapping nomadlike.ErrPermission, nothing written).
// Updates arriving while another batch is written share one raft entry
// (see allocBatcher). Failed allocations of groups with a reschedule
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
	batch := s.batcher.add(updates)
	if batch == nil {
		return 0, notLeader("update allocations")
	}
	<-batch.doneCh
	return batch.index, batch.err
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
