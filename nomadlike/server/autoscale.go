package server

import (
	"context"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/server/autoscaler"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// runAutoscaler runs the built-in autoscaler while this server leads.
func (s *Server) runAutoscaler(ctx context.Context) {
	autoscaler.New(autoscaler.Config{
		State:  func() *state.StateStore { return s.fsm.State() },
		Scaler: s,
		Usage:  s.allocUsage,
		Now:    s.cfg.Clock.Now,
		Logger: s.logger.Named("autoscaler"),
	}).Run(ctx)
}

// RecordAllocUsage keeps the usage samples a client pushes for the
// built-in autoscaler, on the leader only (they are not replicated: a new
// leader waits for the next push). Each sample must be of a non-terminal
// allocation of the node whose secret authenticates the call. Errors:
// ErrNotLeader, ErrPermission, a *ValidationError.
func (s *Server) RecordAllocUsage(secretID string, samples []nomadlike.AllocUsage) error {
	if !s.IsLeader() {
		return notLeader("record allocation usage")
	}
	node, err := s.nodeBySecret("record allocation usage", secretID)
	if err != nil {
		return err
	}
	if len(samples) > nomadlike.MaxUsageSamples {
		return &nomadlike.ValidationError{Errors: []nomadlike.FieldError{{Path: "Allocs",
			Message: fmt.Sprintf("%d samples, at most %d", len(samples), nomadlike.MaxUsageSamples)}}}
	}
	st := s.fsm.State()
	keep := samples[:0:0]
	for _, u := range samples {
		a, err := st.AllocByID(nil, u.AllocID)
		if err != nil {
			return err
		}
		if a == nil || a.NodeID != node.ID || a.TerminalStatus() || u.CPUMHz < 0 || u.MemoryMB < 0 {
			continue // gone, another node's, or nonsense: dropped
		}
		keep = append(keep, u)
	}
	s.allocUsage.Put(s.cfg.Clock.Now(), keep)
	return nil
}
