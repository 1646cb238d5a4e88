package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// backoff is how long loops wait after a transient error.
const backoff = 100 * time.Millisecond

// heartbeater keeps one timer per live node on the leader. A node that does
// not heartbeat within its TTL (plus grace) is marked down.
type heartbeater struct {
	s       *Server
	mu      sync.Mutex
	enabled bool
	gen     uint64
	timers  map[string]*hbTimer
}

type hbTimer struct {
	t   *time.Timer
	gen uint64
}

func newHeartbeater(s *Server) *heartbeater {
	return &heartbeater{s: s, timers: map[string]*hbTimer{}}
}

// enable starts timers for every node that is not down, with the failover
// TTL, so clients have time to find the new leader.
func (h *heartbeater) enable() error {
	h.mu.Lock()
	h.enabled = true
	h.mu.Unlock()
	nodes, err := h.s.fsm.State().Nodes(nil, "")
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if !n.TerminalStatus() {
			h.reset(n.ID, h.s.cfg.FailoverHeartbeatTTL)
		}
	}
	return nil
}

func (h *heartbeater) disable() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.enabled = false
	for id, t := range h.timers {
		t.t.Stop()
		delete(h.timers, id)
	}
}

// ttl returns the TTL for the next heartbeat: it grows with the number of
// nodes so that on average at most MaxHeartbeatsPerSecond arrive, and a
// random stagger spreads nodes that registered together.
func (h *heartbeater) ttl() time.Duration {
	h.mu.Lock()
	n := len(h.timers)
	h.mu.Unlock()
	base := time.Duration(float64(n) / h.s.cfg.MaxHeartbeatsPerSecond * float64(time.Second))
	base = max(base, h.s.cfg.HeartbeatMinTTL)
	return base + h.s.jitter(base)
}

// reset (re)arms the node's timer for ttl plus the grace period.
func (h *heartbeater) reset(nodeID string, ttl time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.enabled {
		return
	}
	if old := h.timers[nodeID]; old != nil {
		old.t.Stop()
	}
	h.gen++
	gen := h.gen
	h.timers[nodeID] = &hbTimer{gen: gen, t: time.AfterFunc(ttl+h.s.cfg.HeartbeatGrace, func() { h.expire(nodeID, gen) })}
}

// clear removes the node's timer (the node is down or gone).
func (h *heartbeater) clear(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.timers[nodeID]; t != nil {
		t.t.Stop()
		delete(h.timers, nodeID)
	}
}

func (h *heartbeater) expire(nodeID string, gen uint64) {
	h.mu.Lock()
	t := h.timers[nodeID]
	if !h.enabled || t == nil || t.gen != gen {
		h.mu.Unlock()
		return // re-armed or disabled since this timer fired
	}
	delete(h.timers, nodeID)
	h.mu.Unlock()
	h.s.logger.Warn("node missed its heartbeat, marking it down", "node_id", nodeID)
	if _, err := h.s.nodeDown(nodeID); err != nil {
		h.s.logger.Error("mark node down", "node_id", nodeID, "error", err)
	}
}

// nodeDown marks the node down, its live allocations lost (and stopped), and
// creates an evaluation per affected job to replace them. It returns the
// index of the last write.
func (s *Server) nodeDown(nodeID string) (uint64, error) {
	node, err := s.fsm.State().NodeByID(nil, nodeID)
	if err != nil {
		return 0, err
	}
	if node == nil || node.Status == nomadlike.NodeStatusDown {
		return 0, nil
	}
	now := time.Now()
	index, err := s.raftApply(fsm.NodeUpdateStatusRequestType, &fsm.NodeUpdateStatusRequest{
		NodeID: nodeID, Status: nomadlike.NodeStatusDown, UpdatedAt: now.Unix(),
	})
	if err != nil {
		return 0, fmt.Errorf("mark node %s down: %w", nodeID, err)
	}
	allocs, err := s.fsm.State().AllocsByNode(nil, nodeID)
	if err != nil {
		return index, err
	}
	var lost []*nomadlike.Allocation
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		l := a.Copy()
		l.Job = nil
		l.ClientStatus = nomadlike.AllocClientStatusLost
		l.ClientDescription = "node is down"
		l.DesiredStatus = nomadlike.AllocDesiredStatusStop
		l.DesiredDescription = "alloc is lost since its node is down"
		l.ModifyTime = now.UnixNano()
		lost = append(lost, l)
	}
	evals, err := s.jobEvals(allocs, nil, nomadlike.EvalTriggerNodeUpdate, nodeID, index)
	if err != nil {
		return index, err
	}
	if len(lost) == 0 && len(evals) == 0 {
		return index, nil
	}
	return s.raftApply(fsm.AllocUpdateRequestType, &fsm.AllocUpdateRequest{Allocs: lost, Evals: evals})
}
