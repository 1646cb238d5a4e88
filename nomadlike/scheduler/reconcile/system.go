package reconcile

import (
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// SystemInput is everything System looks at.
type SystemInput struct {
	JobID  string
	Job    *nomadlike.Job // nil when deregistered
	Allocs []*nomadlike.Allocation
	// Nodes are the up nodes in the job's datacenters and node pool, ready
	// or not: ready ones get an allocation, ineligible ones keep theirs.
	Nodes []*nomadlike.Node
	// TaintedNodes are the nodes of Allocs that are down, disconnected or
	// draining (nil value: the node no longer exists).
	TaintedNodes map[string]*nomadlike.Node
}

// System diffs a system or sysbatch job against its allocations: one
// allocation of each group on every ready node. Placements carry NodeID.
// Allocations on down nodes are marked lost and not replaced elsewhere;
// draining nodes lose theirs once the node drainer marks them; a
// sysbatch allocation that completed is not run again on its node. Failed
// allocations are left for the client's restart policy.
func System(in SystemInput) *Result {
	r := &Result{}
	if in.Job == nil || in.Job.Stop {
		base := Input{JobID: in.JobID, TaintedNodes: in.TaintedNodes}
		byGroup := map[string][]*nomadlike.Allocation{}
		for _, a := range in.Allocs {
			byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
		}
		for _, name := range sortedKeys(byGroup) {
			stopAll(r, base, name, byGroup[name], StopJobStopped)
		}
		return r
	}
	nodes := make(map[string]*nomadlike.Node, len(in.Nodes))
	for _, n := range in.Nodes {
		nodes[n.ID] = n
	}
	// group -> node -> slot-holding allocations
	held := map[string]map[string][]*nomadlike.Allocation{}
	for _, a := range in.Allocs {
		if !occupies(a, in.Job) {
			continue
		}
		if in.Job.LookupTaskGroup(a.TaskGroup) == nil {
			r.stop(a, StopGroupRemoved, lostStatus(Input{TaintedNodes: in.TaintedNodes}, a))
			r.desired(a.TaskGroup).Stop++
			continue
		}
		if held[a.TaskGroup] == nil {
			held[a.TaskGroup] = map[string][]*nomadlike.Allocation{}
		}
		held[a.TaskGroup][a.NodeID] = append(held[a.TaskGroup][a.NodeID], a)
	}
	for _, tg := range in.Job.TaskGroups {
		d := r.desired(tg.Name)
		onNode := held[tg.Name]
		for _, nodeID := range sortedKeys(onNode) {
			allocs := onNode[nodeID]
			sort.Slice(allocs, func(i, j int) bool { return better(allocs[i], allocs[j]) })
			for _, dup := range allocs[1:] {
				r.stop(dup, StopDuplicate, "")
				d.Stop++
			}
			systemAlloc(r, in, tg, nodes, allocs[0], d)
		}
		for _, n := range in.Nodes {
			if !n.Ready() || len(onNode[n.ID]) > 0 {
				continue
			}
			r.Place = append(r.Place, Placement{
				Name: nomadlike.AllocName(in.Job.ID, tg.Name, 0), Index: 0, TaskGroup: tg,
				Kind: KindNew, NodeID: n.ID,
			})
			d.Place++
		}
	}
	return r
}

func systemAlloc(r *Result, in SystemInput, tg *nomadlike.TaskGroup, nodes map[string]*nomadlike.Node, a *nomadlike.Allocation, d *nomadlike.DesiredUpdates) {
	if a.ClientTerminalStatus() { // completed sysbatch or failed: leave it
		d.Ignore++
		return
	}
	if node, tainted := in.TaintedNodes[a.NodeID]; tainted {
		switch {
		case nodeDown(in.TaintedNodes, a.NodeID):
			r.stop(a, StopLost, nomadlike.AllocClientStatusLost)
			d.Lost++
			return
		case node.DrainStrategy != nil && isTrue(a.DesiredTransition.Migrate):
			// The node drainer marks system allocations last (and never
			// when the drain ignores system jobs).
			r.stop(a, StopMigrating, "")
			d.Migrate++
			return
		}
	} else if nodes[a.NodeID] == nil {
		r.stop(a, StopNodeNotInJob, "")
		d.Stop++
		return
	}
	switch {
	case sameVersion(a.Job, in.Job):
		d.Ignore++
	case TasksUpdated(in.Job, a.Job, tg.Name):
		if n := nodes[a.NodeID]; n == nil || !n.Ready() {
			d.Ignore++ // not replaced where nothing new may be placed
			return
		}
		r.stop(a, StopUpdated, "")
		r.Place = append(r.Place, Placement{
			Name: a.Name, Index: a.Index(), TaskGroup: tg, Kind: KindDestructive, Previous: a, NodeID: a.NodeID,
		})
		d.DestructiveUpdate++
	default:
		r.InPlace = append(r.InPlace, a)
		d.InPlaceUpdate++
	}
}
