package server

import (
	metrics "github.com/hashicorp/go-metrics"
)

// EmitMetrics sets the gauges of the leader's evaluation broker, blocked
// evaluations and plan applier, with Nomad's names where Nomad has the
// figure (nomad.nomad.broker.*, nomad.nomad.blocked_evals.*,
// nomad.nomad.plan.queue_depth) and in the same subsystems where it has not
// (broker total_delayed and total_failed; plan applied, partial and
// rejected_nodes: plans committed in full, plans committed in part because
// some nodes no longer had room, and those node rejections; commits: the
// raft writes that carried them, several plans each under load; all since this
// server became leader; partly rejected plans are what parallel scheduler
// workers cost). On a follower the broker is disabled and every figure is
// zero. The key is prefixed by the telemetry's "nomad".
func (s *Server) EmitMetrics(m *metrics.Metrics) {
	b := s.broker.Stats()
	bl := s.blocked.Stats()
	p := s.applier.Stats()
	for _, g := range []struct {
		key []string
		v   float32
	}{
		{[]string{"nomad", "broker", "total_ready"}, float32(b.TotalReady)},
		{[]string{"nomad", "broker", "total_unacked"}, float32(b.TotalUnacked)},
		{[]string{"nomad", "broker", "total_waiting"}, float32(b.TotalWaiting)},
		{[]string{"nomad", "broker", "total_delayed"}, float32(b.TotalDelayed)},
		{[]string{"nomad", "broker", "total_failed"}, float32(b.TotalFailed)},
		{[]string{"nomad", "broker", "total_cancelable"}, float32(b.TotalCancelable)},
		{[]string{"nomad", "blocked_evals", "total_blocked"}, float32(bl.TotalBlocked)},
		{[]string{"nomad", "blocked_evals", "total_escaped"}, float32(bl.TotalEscaped)},
		{[]string{"nomad", "plan", "queue_depth"}, float32(p.Pending)},
		{[]string{"nomad", "plan", "applied"}, float32(p.Applied)},
		{[]string{"nomad", "plan", "partial"}, float32(p.Partial)},
		{[]string{"nomad", "plan", "rejected_nodes"}, float32(p.Rejected)},
		{[]string{"nomad", "plan", "commits"}, float32(p.Commits)}, // raft writes of plans (group commit)
	} {
		m.SetGauge(g.key, g.v)
	}
}
