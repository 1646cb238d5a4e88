package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/server/gc"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// gcBatchMax caps the objects one garbage collection raft entry deletes:
// entries are applied one at a time, each waiting for its commit, so the
// plan applier's and clients' entries interleave with a long collection.
const gcBatchMax = 1000

// GCStats counts what one collection deleted.
type GCStats struct {
	Jobs, Evals, Allocs, Nodes int
	// Entries is the number of raft entries written.
	Entries int
}

// gcState serializes collections (the periodic one and forced ones).
type gcState struct {
	mu sync.Mutex
	// batchMax overrides gcBatchMax when positive (tests).
	batchMax int
}

// jobGC runs on the leader until ctx ends: every JobGCInterval it collects
// what is past the thresholds.
func (s *Server) jobGC(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Clock.After(s.cfg.JobGCInterval):
		}
		st, err := s.collectGarbage(ctx, false)
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("garbage collection", "error", err)
			continue
		}
		if st.Entries > 0 {
			s.logger.Debug("garbage collected", "jobs", st.Jobs, "evals", st.Evals,
				"allocs", st.Allocs, "nodes", st.Nodes, "entries", st.Entries)
		}
	}
}

// ForceGC collects every collectable object now, ignoring the thresholds,
// as Nomad's PUT /v1/system/gc does. Leader only.
func (s *Server) ForceGC(ctx context.Context) (GCStats, error) {
	if !s.IsLeader() {
		return GCStats{}, notLeader("garbage collect")
	}
	return s.collectGarbage(ctx, true)
}

// collectGarbage selects on a snapshot and deletes in bounded batches.
func (s *Server) collectGarbage(ctx context.Context, force bool) (GCStats, error) {
	s.gc.mu.Lock()
	defer s.gc.mu.Unlock()
	snap, err := s.fsm.State().Snapshot()
	if err != nil {
		return GCStats{}, err
	}
	in, err := gcInput(snap.Reader)
	if err != nil {
		return GCStats{}, err
	}
	in.Now, in.Force = s.cfg.Clock.Now(), force
	st, err := s.applyGC(ctx, gc.Select(in, s.cfg.GCThresholds))
	if err != nil {
		return st, err
	}
	return st, s.collectDeployments(ctx, snap.Reader, in.Now, force) // deployments (deployments.go)
}

func gcInput(r *state.Reader) (gc.Input, error) {
	var in gc.Input
	var err error
	if in.Jobs, err = r.Jobs(nil, state.AllNamespaces, ""); err != nil {
		return in, err
	}
	if in.Evals, err = r.Evals(nil, ""); err != nil {
		return in, err
	}
	if in.Allocs, err = r.Allocs(nil, ""); err != nil {
		return in, err
	}
	in.Nodes, err = r.Nodes(nil, "")
	return in, err
}

// applyGC writes r through raft, one batch at a time.
func (s *Server) applyGC(ctx context.Context, r gc.Result) (GCStats, error) {
	max := gcBatchMax
	if s.gc.batchMax > 0 {
		max = s.gc.batchMax
	}
	var st GCStats
	for _, b := range gc.Batches(r, max) {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		var err error
		if len(b.Nodes) > 0 {
			_, err = s.raftApply(fsm.GCNodesRequestType, &fsm.GCNodesRequest{NodeIDs: b.Nodes})
		} else {
			req := &fsm.GCPurgeRequest{Evals: b.Evals, Allocs: b.Allocs}
			for _, j := range b.Jobs {
				req.Jobs = append(req.Jobs, state.GCJob{Namespace: j.Namespace, ID: j.ID, JobModifyIndex: j.JobModifyIndex})
			}
			_, err = s.raftApply(fsm.GCPurgeRequestType, req)
		}
		if err != nil {
			return st, fmt.Errorf("garbage collect (entry %d): %w", st.Entries+1, err)
		}
		st.Entries++
		st.Jobs += len(b.Jobs)
		st.Evals += len(b.Evals)
		st.Allocs += len(b.Allocs)
		st.Nodes += len(b.Nodes)
	}
	return st, nil
}

// purgeJobObjects deletes the evaluations and allocations of a purged job
// that are already terminal (job stop -purge); the rest (its deregister
// evaluation, allocations still stopping) go with the next collection.
func (s *Server) purgeJobObjects(ns, jobID string) error {
	s.gc.mu.Lock()
	defer s.gc.mu.Unlock()
	snap, err := s.fsm.State().Snapshot()
	if err != nil {
		return err
	}
	in := gc.Input{Now: s.cfg.Clock.Now(), Force: true}
	if in.Evals, err = snap.EvalsByJob(nil, ns, jobID); err != nil {
		return err
	}
	if in.Allocs, err = snap.Reader.AllocsByJob(nil, ns, jobID); err != nil {
		return err
	}
	for _, a := range in.Allocs {
		n, err := snap.Reader.NodeByID(nil, a.NodeID)
		if err != nil {
			return err
		}
		if n != nil {
			in.Nodes = append(in.Nodes, n)
		}
	}
	r := gc.Select(in, s.cfg.GCThresholds)
	r.Nodes = nil // only this job's objects
	_, err = s.applyGC(context.Background(), r)
	return err
}

// ReconcileSummaries rebuilds every job summary's allocation counts from
// the stored allocations, through raft (Nomad's PUT
// /v1/system/reconcile/summaries). Leader only.
func (s *Server) ReconcileSummaries() (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("reconcile job summaries")
	}
	index, err := s.raftApply(fsm.ReconcileSummariesRequestType, &fsm.ReconcileSummariesRequest{})
	if err != nil {
		return 0, fmt.Errorf("reconcile job summaries: %w", err)
	}
	return index, nil
}
