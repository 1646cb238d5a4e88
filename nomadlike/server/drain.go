package server

import (
	"context"

	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/server/drainer"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// drainWriter is the node drainer's raft writer.
type drainWriter struct{ s *Server }

func (w drainWriter) MarkMigrations(req *state.AllocDesiredTransitionRequest) (uint64, error) {
	return w.s.raftApply(fsm.AllocUpdateDesiredTransitionRequestType, req)
}

func (w drainWriter) CompleteDrain(nodeID string) (uint64, error) {
	return w.s.raftApply(fsm.NodeUpdateDrainRequestType, &fsm.NodeUpdateDrainRequest{NodeID: nodeID})
}

// drainLoop runs the node drainer while this server leads.
func (s *Server) drainLoop(ctx context.Context) {
	drainer.New(drainer.Config{
		State: s.fsm.State, Writer: drainWriter{s}, Now: s.cfg.Clock.Now,
		Logger: s.logger.Named("drainer"), MaxWait: s.cfg.DrainCheckInterval,
	}).Run(ctx)
}
