package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
)

func notLeader(op string) error { return fmt.Errorf("%s: %w", op, nomadlike.ErrNotLeader) }

// RegisterNode registers a new node or updates a known one and marks it
// ready. A new node ID may register with any SecretID; a known one only
// with the SecretID it registered with (else an error wrapping
// nomadlike.ErrPermission, nothing written). sourceIP is the address the
// request came from; it is recorded as the node's RegisteredFrom and
// HeartbeatFrom (see Node), whatever the client sent. A node becoming
// ready, or a ready node whose drivers, attributes, meta or resources
// changed (a client re-registers after a fingerprint or driver health
// change), gets evaluations for the system jobs and unblocks blocked
// evaluations. It returns the heartbeat TTL.
func (s *Server) RegisterNode(node *nomadlike.Node, sourceIP string) (time.Duration, uint64, error) {
	if !s.IsLeader() {
		return 0, 0, notLeader("register node")
	}
	if node == nil || node.ID == "" || node.SecretID == "" {
		return 0, 0, fmt.Errorf("register node: %w: ID and SecretID are required", nomadlike.ErrValidation)
	}
	existing, err := s.fsm.State().NodeByID(nil, node.ID)
	if err != nil {
		return 0, 0, err
	}
	n := node.Copy()
	n.RegisteredFrom, n.HeartbeatFrom = sourceIP, sourceIP
	if existing != nil {
		if !sameSecret(existing.SecretID, n.SecretID) {
			return 0, 0, fmt.Errorf("register node %s: %w: the node is registered with another SecretID", n.ID, nomadlike.ErrPermission)
		}
		// Drain and eligibility are the operator's, not the client's.
		n.DrainStrategy, n.Drain, n.SchedulingEligibility = existing.DrainStrategy, existing.Drain, existing.SchedulingEligibility
	}
	if n.SchedulingEligibility == "" {
		n.SchedulingEligibility = nomadlike.NodeSchedulingEligible
	}
	if n.NodePool == "" {
		n.NodePool = nomadlike.DefaultNodePool
	}
	n.Status = nomadlike.NodeStatusReady
	n.StatusUpdatedAt = time.Now().Unix()
	index, err := s.raftApply(fsm.NodeRegisterRequestType, &fsm.NodeRegisterRequest{Node: n})
	if err != nil {
		return 0, 0, fmt.Errorf("register node %s: %w", n.ID, err)
	}
	if existing == nil || existing.Status != nomadlike.NodeStatusReady || capabilitiesChanged(existing, n) {
		// A new or returning node, or a ready one whose drivers, attributes
		// or resources changed: what was infeasible or did not fit may now.
		if index, err = s.nodeBecameReady(n, index); err != nil {
			return 0, 0, err
		}
	}
	ttl := s.heartbeats.ttl()
	s.heartbeats.reset(n.ID, ttl)
	return ttl, index, nil
}

// nodeBecameReady creates node-update evaluations for the system jobs and
// the jobs with allocations on the node, and unblocks blocked evaluations
// the node could help.
func (s *Server) nodeBecameReady(n *nomadlike.Node, index uint64) (uint64, error) {
	st := s.fsm.State()
	allocs, err := st.AllocsByNode(nil, n.ID)
	if err != nil {
		return index, err
	}
	sys, err := s.systemJobs()
	if err != nil {
		return index, err
	}
	evals, err := s.jobEvals(allocs, sys, nomadlike.EvalTriggerNodeUpdate, n.ID, index)
	if err != nil {
		return index, err
	}
	if len(evals) > 0 {
		if index, err = s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals}); err != nil {
			return index, fmt.Errorf("create node evaluations for %s: %w", n.ID, err)
		}
	}
	s.unblockNode(n, index)
	return index, nil
}

func (s *Server) unblockNode(n *nomadlike.Node, index uint64) {
	if n != nil {
		s.blocked.Unblock(feasible.ComputedClass(n), index)
	}
}

// systemJobs returns the live system and sysbatch jobs.
func (s *Server) systemJobs() ([]*nomadlike.Job, error) {
	jobs, err := s.fsm.State().Jobs(nil, "*", "")
	if err != nil {
		return nil, err
	}
	var out []*nomadlike.Job
	for _, j := range jobs {
		if (j.Type == nomadlike.JobTypeSystem || j.Type == nomadlike.JobTypeSysBatch) && !j.Stop && !j.IsPeriodic() && !j.IsParameterized() {
			out = append(out, j)
		}
	}
	return out, nil
}

// jobEvals builds one pending evaluation per job among the live allocations
// in allocs and the extra jobs, in job order.
func (s *Server) jobEvals(allocs []*nomadlike.Allocation, extra []*nomadlike.Job, trigger, nodeID string, nodeIndex uint64) ([]*nomadlike.Evaluation, error) {
	jobs := map[nomadlike.NamespacedID]*nomadlike.Job{}
	for _, j := range extra {
		jobs[j.NamespacedID()] = j
	}
	st := s.fsm.State()
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		key := nomadlike.NamespacedID{ID: a.JobID, Namespace: a.Namespace}
		if _, ok := jobs[key]; ok {
			continue
		}
		j, err := st.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			return nil, err
		}
		if j == nil {
			j = a.Job
		}
		if j != nil {
			jobs[key] = j
		}
	}
	keys := make([]nomadlike.NamespacedID, 0, len(jobs))
	for k := range jobs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, k int) bool {
		if keys[i].Namespace != keys[k].Namespace {
			return keys[i].Namespace < keys[k].Namespace
		}
		return keys[i].ID < keys[k].ID
	})
	evals := make([]*nomadlike.Evaluation, 0, len(keys))
	for _, k := range keys {
		e := newEval(jobs[k], trigger)
		e.NodeID, e.NodeModifyIndex = nodeID, nodeIndex
		evals = append(evals, e)
	}
	return evals, nil
}

func newEval(j *nomadlike.Job, trigger string) *nomadlike.Evaluation {
	return &nomadlike.Evaluation{
		ID:             nomadlike.GenerateUUID(),
		Namespace:      j.Namespace,
		Priority:       j.Priority,
		Type:           j.Type,
		TriggeredBy:    trigger,
		JobID:          j.ID,
		JobModifyIndex: j.JobModifyIndex,
		Status:         nomadlike.EvalStatusPending,
	}
}

// NodeHeartbeat records a client heartbeat; a status change (a down node
// coming back) is written through raft. secretID must be the node's
// SecretID (else an error wrapping nomadlike.ErrPermission, nothing
// written); sourceIP, the address the heartbeat came from, becomes the
// node's HeartbeatFrom. It returns the next TTL.
func (s *Server) NodeHeartbeat(nodeID, secretID, status, sourceIP string) (time.Duration, uint64, error) {
	if !s.IsLeader() {
		return 0, 0, notLeader("node heartbeat")
	}
	if status == "" {
		status = nomadlike.NodeStatusReady
	}
	switch status {
	case nomadlike.NodeStatusReady, nomadlike.NodeStatusInit:
	default:
		return 0, 0, fmt.Errorf("node heartbeat: %w: status %q (want ready or initializing)", nomadlike.ErrValidation, status)
	}
	node, err := s.authenticateNode("node heartbeat", nodeID, secretID)
	if err != nil {
		return 0, 0, err
	}
	if sourceIP != "" && node.HeartbeatFrom != sourceIP {
		// Rare (a client that moved or talks to another server): the
		// address servers may forward to follows the node.
		n := node.Copy()
		n.HeartbeatFrom = sourceIP
		if _, err := s.raftApply(fsm.NodeRegisterRequestType, &fsm.NodeRegisterRequest{Node: n}); err != nil {
			return 0, 0, fmt.Errorf("record heartbeat address of node %s: %w", nodeID, err)
		}
	}
	st := s.fsm.State()
	index, err := st.Index("nodes")
	if err != nil {
		return 0, 0, err
	}
	if node.Status != status {
		index, err = s.raftApply(fsm.NodeUpdateStatusRequestType, &fsm.NodeUpdateStatusRequest{
			NodeID: nodeID, Status: status, UpdatedAt: time.Now().Unix(),
		})
		if err != nil {
			return 0, 0, fmt.Errorf("update status of node %s: %w", nodeID, err)
		}
		if status == nomadlike.NodeStatusReady {
			n := node.Copy()
			n.Status = status
			if index, err = s.nodeBecameReady(n, index); err != nil {
				return 0, 0, err
			}
		}
	}
	ttl := s.heartbeats.ttl()
	s.heartbeats.reset(nodeID, ttl)
	return ttl, index, nil
}

// UpdateNodeEligibility marks a node eligible or ineligible for new
// placements. A draining node cannot be made eligible (end the drain).
func (s *Server) UpdateNodeEligibility(nodeID, eligibility string) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("update node eligibility")
	}
	if eligibility != nomadlike.NodeSchedulingEligible && eligibility != nomadlike.NodeSchedulingIneligible {
		return 0, fmt.Errorf("update node eligibility: %w: %q (want eligible or ineligible)", nomadlike.ErrValidation, eligibility)
	}
	node, err := s.fsm.State().NodeByID(nil, nodeID)
	if err != nil {
		return 0, err
	}
	if node == nil {
		return 0, fmt.Errorf("update node eligibility %s: %w", nodeID, nomadlike.ErrNotFound)
	}
	if node.DrainStrategy != nil && eligibility == nomadlike.NodeSchedulingEligible {
		return 0, fmt.Errorf("update node eligibility %s: %w: node is draining", nodeID, nomadlike.ErrConflict)
	}
	var evals []*nomadlike.Evaluation
	if eligibility == nomadlike.NodeSchedulingEligible && node.SchedulingEligibility != eligibility {
		sys, err := s.systemJobs()
		if err != nil {
			return 0, err
		}
		if evals, err = s.jobEvals(nil, sys, nomadlike.EvalTriggerNodeUpdate, nodeID, node.ModifyIndex); err != nil {
			return 0, err
		}
	}
	index, err := s.raftApply(fsm.NodeUpdateEligibilityRequestType, &fsm.NodeUpdateEligibilityRequest{NodeID: nodeID, Eligibility: eligibility, Evals: evals})
	if err != nil {
		return 0, fmt.Errorf("update node eligibility %s: %w", nodeID, err)
	}
	if eligibility == nomadlike.NodeSchedulingEligible {
		s.unblockNode(node, index)
	}
	return index, nil
}

// UpdateNodeDrain starts (drain set) or ends (nil) a drain. Starting makes
// the node ineligible; the leader's drainer (server/drainer) then moves its
// allocations at the pace of their groups' migrate blocks. Deadline < 0
// forces: every allocation moves at once; a positive Deadline moves
// whatever remains when it passes; 0 waits without limit. Ending a drain
// with markEligible makes the node eligible again.
func (s *Server) UpdateNodeDrain(nodeID string, drain *nomadlike.DrainStrategy, markEligible bool) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("update node drain")
	}
	node, err := s.fsm.State().NodeByID(nil, nodeID)
	if err != nil {
		return 0, err
	}
	if node == nil {
		return 0, fmt.Errorf("update node drain %s: %w", nodeID, nomadlike.ErrNotFound)
	}
	if drain != nil {
		d := *drain
		now := time.Now()
		if d.StartedAt.IsZero() {
			d.StartedAt = now
		}
		if d.ForceDeadline.IsZero() {
			switch {
			case d.Deadline < 0:
				d.ForceDeadline = now
			case d.Deadline > 0:
				d.ForceDeadline = d.StartedAt.Add(d.Deadline)
			}
		}
		drain = &d
	}
	index, err := s.raftApply(fsm.NodeUpdateDrainRequestType, &fsm.NodeUpdateDrainRequest{
		NodeID: nodeID, DrainStrategy: drain, MarkEligible: markEligible,
	})
	if err != nil {
		return 0, fmt.Errorf("update node drain %s: %w", nodeID, err)
	}
	if drain == nil && markEligible {
		s.unblockNode(node, index)
	}
	return index, nil
}
