package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ApplyPlanResultsRequest is a committed plan: what the plan applier
// accepted of a scheduler's plan, written in one transaction.
type ApplyPlanResultsRequest struct {
	// Job is denormalized onto updated allocations that have Job == nil.
	Job *nomadlike.Job `json:"Job"`
	// AllocsUpdated are new and updated (placed) allocations.
	AllocsUpdated []*nomadlike.Allocation `json:"AllocsUpdated"`
	// AllocsStopped are stops: DesiredStatus stop or evict, with
	// DesiredDescription, maybe ClientStatus lost, FollowupEvalID and
	// NextAllocation. Other fields come from the stored allocation.
	AllocsStopped []*nomadlike.Allocation `json:"AllocsStopped"`
	// EvalID is the evaluation whose plan this is.
	EvalID string `json:"EvalID"`
	// Evals are upserted with the plan (follow-ups, blocked evals).
	Evals []*nomadlike.Evaluation `json:"Evals"`
	// Deployment is created or updated, and DeploymentUpdates applied,
	// before the allocations are written (deployments.go).
	Deployment        *nomadlike.Deployment               `json:"Deployment,omitempty"`
	DeploymentUpdates []*nomadlike.DeploymentStatusUpdate `json:"DeploymentUpdates,omitempty"`
}

// UpsertAllocs stores allocations written by servers (plans, the server
// marking allocations lost) at raft index. For an existing allocation the
// client-owned fields (ClientStatus, ClientDescription, TaskStates) are kept
// from the stored one, unless the incoming allocation has ClientStatus lost.
// Job, when nil, is the stored allocation's, else the current stored job's;
// a new allocation with no job to take fails with nomadlike.ErrJobNotFound.
// CreateIndex and CreateTime are kept; ModifyIndex and AllocModifyIndex
// become index; ModifyTime comes from the request. Job summaries and job
// statuses follow.
//
// Ownership (all alloc writes): the store copies the Allocation structs it
// is given but keeps their sub-objects (AllocatedResources, Metrics,
// TaskStates with their events, RescheduleTracker, DesiredTransition's
// pointers) and may replace their strings with equal shared ones (see
// intern.go). Callers must not modify those after the call; the FSM decodes
// fresh ones per entry.
func (s *StateStore) UpsertAllocs(index uint64, allocs []*nomadlike.Allocation) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		w := s.newAllocWrite(txn, index)
		for _, a := range allocs {
			if err := upsertAllocInternTxn(txn, index, a, nil, w); err != nil {
				return err
			}
		}
		if err := w.sums.flush(); err != nil {
			return err
		}
		if len(allocs) > 0 {
			if err := bumpIndex(txn, TableAllocs, index); err != nil {
				return err
			}
		}
		return refreshStatuses(txn, index, w.js)
	})
}

// UpsertPlanResults writes a committed plan in one transaction: stops, then
// placements and in-place updates (which take req.Job when their Job is
// nil), then req.Evals.
func (s *StateStore) UpsertPlanResults(index uint64, req *ApplyPlanResultsRequest) error {
	if req == nil {
		return fmt.Errorf("upsert plan results: nil request")
	}
	return s.writeTxn(func(txn *memdb.Txn) error { return s.upsertPlanResultsTxn(txn, index, req) })
}

// UpsertPlanResultsBatch writes several committed plans at raft index in ONE
// transaction, in order, each as UpsertPlanResults would: all of them or,
// when one fails, none (the plan applier's group commit relies on that: it
// checked each plan against the ones before it).
func (s *StateStore) UpsertPlanResultsBatch(index uint64, reqs []*ApplyPlanResultsRequest) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		for i, req := range reqs {
			if req == nil {
				return fmt.Errorf("upsert plan results: nil request %d of %d", i+1, len(reqs))
			}
			if err := s.upsertPlanResultsTxn(txn, index, req); err != nil {
				return fmt.Errorf("plan %d of %d: %w", i+1, len(reqs), err)
			}
		}
		return nil
	})
}

func (s *StateStore) upsertPlanResultsTxn(txn *memdb.Txn, index uint64, req *ApplyPlanResultsRequest) error {
	if err := planDeploymentsTxn(txn, index, req); err != nil { // deployments (deployments.go)
		return err
	}
	w := s.newAllocWrite(txn, index)
	planJob, err := storedJobVersion(txn, req.Job)
	if err != nil {
		return err
	}
	for _, a := range req.AllocsStopped {
		if err := stopAllocTxn(txn, index, a, w); err != nil {
			return err
		}
	}
	for _, a := range req.AllocsUpdated {
		if err := upsertAllocInternTxn(txn, index, a, planJob, w); err != nil {
			return err
		}
	}
	if err := w.sums.flush(); err != nil {
		return err
	}
	if len(req.AllocsStopped)+len(req.AllocsUpdated) > 0 {
		if err := bumpIndex(txn, TableAllocs, index); err != nil {
			return err
		}
	}
	if err := upsertEvalsTxn(txn, index, req.Evals, w.js); err != nil {
		return err
	}
	if err := refreshStatuses(txn, index, w.js); err != nil {
		return fmt.Errorf("upsert plan results of eval %q: %w", req.EvalID, err)
	}
	return nil
}

// storedJobVersion returns the stored version of job (same version and
// JobModifyIndex) so allocations share it, or a copy of job.
func storedJobVersion(txn *memdb.Txn, job *nomadlike.Job) (*nomadlike.Job, error) {
	if job == nil {
		return nil, nil
	}
	v, err := first[nomadlike.Job](txn, nil, TableJobVersions, indexID, job.Namespace, job.ID, job.Version)
	if err != nil {
		return nil, err
	}
	if v != nil && v.JobModifyIndex == job.JobModifyIndex {
		return v, nil
	}
	return job.Copy(), nil
}

// allocWrite is what the allocation writes of one transaction share: the
// jobs whose status to refresh, the interner, and the summary changes
// (flush them before the transaction reads summaries again).
type allocWrite struct {
	s    *StateStore // nil: no node watchers to wake
	js   jobSet
	in   *allocInterner
	sums *summaryBatch
}

func (s *StateStore) newAllocWrite(txn *memdb.Txn, index uint64) *allocWrite {
	return &allocWrite{s: s, js: jobSet{}, in: s.newAllocInterner(txn), sums: newSummaryBatch(txn, index)}
}

// written records the write of cur over old (nil when new).
func (w *allocWrite) written(old, cur *nomadlike.Allocation) error {
	if w.s != nil {
		oldNode := ""
		if old != nil {
			oldNode = old.NodeID
		}
		w.s.allocNodes(oldNode, cur.NodeID)
	}
	if err := w.sums.alloc(old, cur); err != nil {
		return err
	}
	w.js.add(cur.Namespace, cur.JobID)
	return trackDeploymentTxn(w.in.txn, w.sums.index, old, cur) // deployments (deployments.go)
}

// upsertAllocTxn is upsertAllocInternTxn sharing only within this one
// allocation's write (no string table), its summary change stored at once.
func upsertAllocTxn(txn *memdb.Txn, index uint64, a *nomadlike.Allocation, planJob *nomadlike.Job, js jobSet) error {
	w := &allocWrite{js: js, in: &allocInterner{txn: txn}, sums: newSummaryBatch(txn, index)}
	if err := upsertAllocInternTxn(txn, index, a, planJob, w); err != nil {
		return err
	}
	return w.sums.flush()
}

// upsertAllocInternTxn stores its own copy of the Allocation struct of a;
// the sub-objects (resources, metrics, task states, reschedule tracker)
// are kept as they are (see the ownership note on UpsertAllocs).
func upsertAllocInternTxn(txn *memdb.Txn, index uint64, a *nomadlike.Allocation, planJob *nomadlike.Job, w *allocWrite) error {
	if a == nil || a.ID == "" {
		return fmt.Errorf("upsert alloc: %w: allocation needs an ID", nomadlike.ErrValidation)
	}
	cp := *a
	alloc := &cp
	existing, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, alloc.ID)
	if err != nil {
		return err
	}
	if alloc.Job == nil {
		alloc.Job = planJob
	}
	if existing == nil {
		alloc.CreateIndex = index
		if alloc.CreateTime == 0 {
			alloc.CreateTime = alloc.ModifyTime
		}
		if alloc.ClientStatus == "" {
			alloc.ClientStatus = nomadlike.AllocClientStatusPending
		}
	} else {
		alloc.CreateIndex = existing.CreateIndex
		alloc.CreateTime = existing.CreateTime
		if alloc.ClientStatus != nomadlike.AllocClientStatusLost {
			alloc.ClientStatus = existing.ClientStatus
			alloc.ClientDescription = existing.ClientDescription
			alloc.TaskStates = existing.TaskStates
		} else if alloc.TaskStates == nil {
			alloc.TaskStates = existing.TaskStates
		}
		if alloc.Job == nil {
			alloc.Job = existing.Job
		}
	}
	if alloc.ModifyTime == 0 {
		alloc.ModifyTime = alloc.CreateTime
	}
	if alloc.Job == nil {
		job, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, alloc.Namespace, alloc.JobID)
		if err != nil {
			return err
		}
		if job == nil {
			return fmt.Errorf("upsert alloc %q of job %q: %w", alloc.ID, alloc.JobID, nomadlike.ErrJobNotFound)
		}
		alloc.Job = job
	}
	alloc.ModifyIndex = index
	alloc.AllocModifyIndex = index
	if err := w.in.alloc(alloc); err != nil {
		return err
	}
	if err := txn.Insert(TableAllocs, alloc); err != nil {
		return fmt.Errorf("upsert alloc %q: %w", alloc.ID, err)
	}
	if err := allocServicesGoneTxn(txn, index, alloc); err != nil { // service catalog
		return err
	}
	return w.written(existing, alloc)
}

// stopAllocTxn applies a plan's stop to the stored allocation; unknown IDs
// are skipped.
func stopAllocTxn(txn *memdb.Txn, index uint64, in *nomadlike.Allocation, w *allocWrite) error {
	if in == nil {
		return nil
	}
	existing, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, in.ID)
	if err != nil || existing == nil {
		return err
	}
	cp := *existing // sub-objects stay shared: none changes
	alloc := &cp
	alloc.DesiredStatus = in.DesiredStatus
	if alloc.DesiredStatus == "" || alloc.DesiredStatus == nomadlike.AllocDesiredStatusRun {
		alloc.DesiredStatus = nomadlike.AllocDesiredStatusStop
	}
	alloc.DesiredDescription = in.DesiredDescription
	alloc.DesiredTransition = in.DesiredTransition
	if in.ClientStatus == nomadlike.AllocClientStatusLost {
		alloc.ClientStatus = in.ClientStatus
		alloc.ClientDescription = in.ClientDescription
	}
	if in.FollowupEvalID != "" {
		alloc.FollowupEvalID = in.FollowupEvalID
	}
	if in.NextAllocation != "" {
		alloc.NextAllocation = in.NextAllocation
	}
	if in.ModifyTime != 0 {
		alloc.ModifyTime = in.ModifyTime
	}
	alloc.ModifyIndex = index
	alloc.AllocModifyIndex = index
	if err := w.in.alloc(alloc); err != nil {
		return err
	}
	if err := txn.Insert(TableAllocs, alloc); err != nil {
		return fmt.Errorf("stop alloc %q: %w", alloc.ID, err)
	}
	if err := allocServicesGoneTxn(txn, index, alloc); err != nil { // service catalog
		return err
	}
	return w.written(existing, alloc)
}

// UpdateAllocsFromClient applies client updates at raft index: only
// ClientStatus (when not empty), ClientDescription, TaskStates and
// NetworkStatus (when set) change,
// with ModifyIndex and ModifyTime (from the request, kept when zero).
// Unknown allocation IDs are skipped. Job summaries and statuses follow.
// The store keeps the TaskStates it is given (see UpsertAllocs).
func (s *StateStore) UpdateAllocsFromClient(index uint64, allocs []*nomadlike.Allocation) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		w := s.newAllocWrite(txn, index)
		intern := w.in
		written := false
		for _, in := range allocs {
			if in == nil {
				continue
			}
			existing, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, in.ID)
			if err != nil {
				return err
			}
			if existing == nil {
				continue
			}
			cp := *existing // sub-objects stay shared but TaskStates, replaced
			alloc := &cp
			if in.ClientStatus != "" {
				alloc.ClientStatus = intern.strs.intern(in.ClientStatus)
			}
			alloc.ClientDescription = intern.strs.intern(in.ClientDescription)
			alloc.TaskStates = in.TaskStates
			intern.taskStates(alloc.TaskStates)
			mergeClientDeploymentStatus(alloc, in.DeploymentStatus, index) // deployments (deployments.go)
			if in.NetworkStatus != nil {                                   // bridge networking
				alloc.NetworkStatus = in.NetworkStatus
			}
			if in.ModifyTime != 0 {
				alloc.ModifyTime = in.ModifyTime
			}
			alloc.ModifyIndex = index
			if err := txn.Insert(TableAllocs, alloc); err != nil {
				return fmt.Errorf("update alloc %q from client: %w", alloc.ID, err)
			}
			if err := allocServicesGoneTxn(txn, index, alloc); err != nil { // service catalog
				return err
			}
			if err := w.written(existing, alloc); err != nil {
				return err
			}
			written = true
		}
		if err := w.sums.flush(); err != nil {
			return err
		}
		if written {
			if err := bumpIndex(txn, TableAllocs, index); err != nil {
				return err
			}
		}
		return refreshStatuses(txn, index, w.js)
	})
}
