package server

// BrokerStats reports the leader's evaluation broker and blocked
// evaluations as gauges for GET /v1/metrics (nomadlike.broker.<key>).
// On a follower the broker is disabled and every figure is zero.
func (s *Server) BrokerStats() map[string]int {
	b := s.broker.Stats()
	bl := s.blocked.Stats()
	return map[string]int{
		"total_ready":      b.TotalReady,
		"total_unacked":    b.TotalUnacked,
		"total_waiting":    b.TotalWaiting,
		"total_delayed":    b.TotalDelayed,
		"total_failed":     b.TotalFailed,
		"total_cancelable": b.TotalCancelable,
		"total_blocked":    bl.TotalBlocked,
		"total_escaped":    bl.TotalEscaped,
	}
}

// PlanStats reports the plan applier's counters as gauges for GET
// /v1/metrics (nomadlike.plan.<key>): plans waiting, plans committed in
// full, plans committed in part because some nodes no longer had room,
// and those node rejections. Partly rejected plans are what parallel
// scheduler workers cost: each sends its evaluation around again.
func (s *Server) PlanStats() map[string]int {
	st := s.applier.Stats()
	return map[string]int{
		"queue_depth":    st.Pending,
		"applied":        int(st.Applied),
		"partial":        int(st.Partial),
		"rejected_nodes": int(st.Rejected),
	}
}
