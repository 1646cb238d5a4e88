package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Garbage collection message types (server gc, explicit numbers 60..64).
const (
	GCPurgeRequestType MessageType = 60
	GCNodesRequestType MessageType = 61
	// ReconcileSummariesRequestType rebuilds the job summaries' counts
	// (PUT /v1/system/reconcile/summaries); its body is empty ({}).
	ReconcileSummariesRequestType MessageType = 62
)

// GCPurgeRequest deletes allocations, evaluations and jobs the leader's
// garbage collector chose (one bounded batch). Each object is checked
// again on apply and kept when it is no longer collectable; see
// state.GCPurge.
type GCPurgeRequest struct {
	Jobs   []state.GCJob `json:"Jobs,omitempty"`
	Evals  []string      `json:"Evals,omitempty"`
	Allocs []string      `json:"Allocs,omitempty"`
}

// GCNodesRequest deletes down nodes without live allocations; see
// state.GCNodes.
type GCNodesRequest struct {
	NodeIDs []string `json:"NodeIDs"`
}

func applyGCPurge(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[GCPurgeRequest](e)
	_, err := s.GCPurge(e.index, req.Jobs, req.Evals, req.Allocs)
	return nil, err
}

// ReconcileSummariesRequest asks every server to rebuild the job
// summaries' allocation counts; see state.ReconcileSummaries.
type ReconcileSummariesRequest struct{}

func applyReconcileSummaries(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	_, err := s.ReconcileSummaries(e.index)
	return nil, err
}

func applyGCNodes(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[GCNodesRequest](e)
	_, err := s.GCNodes(e.index, req.NodeIDs)
	return nil, err
}
