package plan

import (
	"fmt"
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// NodeState is what evaluating a plan reads. scheduler.State and the state
// store's snapshots satisfy it.
type NodeState interface {
	NodeByID(id string) (*nomadlike.Node, error)
	AllocsByNode(nodeID string) ([]*nomadlike.Allocation, error)
	LatestIndex() (uint64, error)
}

// Reasons a node's part of a plan is rejected.
const (
	ReasonNodeMissing  = "node does not exist"
	ReasonNodeNotReady = "node is not ready for placements"
)

// Rejection says why one node's part of a plan was dropped.
type Rejection struct {
	NodeID string
	Reason string // a Reason constant or an exhausted dimension
	// Accepted is how many of the node's placements were kept (the ones,
	// in plan order, that still fit); the node's stops are always kept.
	Accepted int
}

// Evaluate checks plan against st node by node and returns the part that may
// be committed, and the rejected nodes in node ID order. Stops and updates
// that place nothing new are always accepted. A node with placements must
// exist, be ready unless every placement updates an allocation already on it,
// and fit its non-terminal allocations after the plan's stops and updates
// plus the plan's placements. When they do not all fit, the placements that
// do, taken in plan order, are kept and the node is still reported rejected
// (with Accepted set): two workers packing onto the same node then lose
// only the overflow, not all of that node's placements. For an AllAtOnce
// plan any rejection empties the result. RefreshIndex is st's latest index when anything was rejected.
// Evaluate does not modify plan; the result shares its allocations.
func Evaluate(st NodeState, plan *nomadlike.Plan) (*nomadlike.PlanResult, []Rejection, error) {
	result := &nomadlike.PlanResult{
		NodeUpdate:     map[string][]*nomadlike.Allocation{},
		NodeAllocation: map[string][]*nomadlike.Allocation{},
	}
	// deployments: the plan's deployment changes are committed with it.
	result.Deployment, result.DeploymentUpdates = plan.Deployment, plan.DeploymentUpdates
	nodes := make([]string, 0, len(plan.NodeUpdate)+len(plan.NodeAllocation))
	seen := map[string]bool{}
	for _, m := range []map[string][]*nomadlike.Allocation{plan.NodeUpdate, plan.NodeAllocation} {
		for id := range m {
			if !seen[id] {
				seen[id] = true
				nodes = append(nodes, id)
			}
		}
	}
	sort.Strings(nodes)

	var rejected []Rejection
	for _, id := range nodes {
		accepted, reason, err := evaluateNode(st, plan, id)
		if err != nil {
			return nil, nil, err
		}
		if reason != "" {
			rejected = append(rejected, Rejection{NodeID: id, Reason: reason, Accepted: len(accepted)})
			if plan.AllAtOnce {
				break
			}
			if len(accepted) == 0 {
				continue
			}
		}
		if u := plan.NodeUpdate[id]; len(u) > 0 {
			result.NodeUpdate[id] = u
		}
		if len(accepted) > 0 {
			result.NodeAllocation[id] = accepted
		}
	}
	if len(rejected) > 0 {
		if plan.AllAtOnce {
			result.NodeUpdate = map[string][]*nomadlike.Allocation{}
			result.NodeAllocation = map[string][]*nomadlike.Allocation{}
		}
		idx, err := st.LatestIndex()
		if err != nil {
			return nil, nil, fmt.Errorf("evaluate plan: %w", err)
		}
		result.RefreshIndex = idx
	}
	return result, rejected, nil
}

// evaluateNode returns the node's placements that may be committed and,
// when not all of them, why the rest were dropped.
func evaluateNode(st NodeState, plan *nomadlike.Plan, nodeID string) ([]*nomadlike.Allocation, string, error) {
	placing := plan.NodeAllocation[nodeID]
	if len(placing) == 0 {
		// Only stops or evictions: always allowed, they free capacity.
		return nil, "", nil
	}
	node, err := st.NodeByID(nodeID)
	if err != nil {
		return nil, "", fmt.Errorf("evaluate plan: read node %s: %w", nodeID, err)
	}
	if node == nil {
		return nil, ReasonNodeMissing, nil
	}
	existing, err := st.AllocsByNode(nodeID)
	if err != nil {
		return nil, "", fmt.Errorf("evaluate plan: read allocations of node %s: %w", nodeID, err)
	}

	// Allocations the plan stops or replaces drop out of the node's set.
	remove := map[string]bool{}
	for _, a := range plan.NodeUpdate[nodeID] {
		remove[a.ID] = true
	}
	for _, a := range placing {
		remove[a.ID] = true
	}
	onNode := map[string]bool{}
	proposed := make([]*nomadlike.Allocation, 0, len(existing)+len(placing))
	for _, a := range existing {
		if a.TerminalStatus() {
			continue
		}
		onNode[a.ID] = true
		if !remove[a.ID] {
			proposed = append(proposed, a)
		}
	}

	// New placements need a node that takes work; in-place updates of
	// allocations already running there do not.
	if !node.Ready() {
		for _, a := range placing {
			if !onNode[a.ID] {
				return nil, ReasonNodeNotReady, nil
			}
		}
	}
	base := len(proposed)
	proposed = append(proposed, placing...)
	ok, dim, _ := nomadlike.AllocsFit(node, proposed)
	if ok {
		return placing, "", nil
	}
	if plan.AllAtOnce {
		return nil, dim, nil
	}
	// Keep, in order, the placements that fit next to the ones kept so
	// far. Only on this (rarer) path is the fit computed per placement.
	proposed = proposed[:base]
	var kept []*nomadlike.Allocation
	for _, a := range placing {
		if fits, _, _ := nomadlike.AllocsFit(node, append(proposed, a)); fits {
			proposed = append(proposed, a)
			kept = append(kept, a)
		}
	}
	return kept, dim, nil
}
