package scheduler

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
)

// planContext is the cluster as the plan being built would leave it: per
// node, the existing non-terminal allocations minus planned stops plus
// planned placements (built lazily, only for nodes the scheduler looks at),
// and the job's own proposed allocations. It implements feasible.JobAllocs.
type planContext struct {
	state     State
	nodes     map[string]*nomadlike.Node
	usage     map[string]*rank.NodeUsage
	stopped   map[string]bool
	stoppedOn map[string][]*nomadlike.Allocation // node -> planned stops, for usage read later
	jobAllocs map[string][]*nomadlike.Allocation // node -> the job's proposed live allocations
	groupsOn  map[groupOnNode]int                // the job's proposed live allocations per node and group
	err       error                              // first state read error
}

func newPlanContext(state State, nodes map[string]*nomadlike.Node, jobAllocs []*nomadlike.Allocation) *planContext {
	c := &planContext{
		state:     state,
		nodes:     nodes,
		usage:     map[string]*rank.NodeUsage{},
		stopped:   map[string]bool{},
		stoppedOn: map[string][]*nomadlike.Allocation{},
		jobAllocs: map[string][]*nomadlike.Allocation{},
		groupsOn:  map[groupOnNode]int{},
	}
	for _, a := range jobAllocs {
		if !a.TerminalStatus() {
			c.addJobAlloc(a)
		}
	}
	return c
}

// nodeUsage returns the node's proposed usage, reading its allocations on
// first use.
func (c *planContext) nodeUsage(nodeID string) *rank.NodeUsage {
	if u, ok := c.usage[nodeID]; ok {
		return u
	}
	if us, ok := c.state.(UsageState); ok {
		base, err := us.NodeUsage(nodeID)
		if err != nil {
			if c.err == nil {
				c.err = fmt.Errorf("read usage of node %q: %w", nodeID, err)
			}
			base = rank.NewNodeUsage(nil)
		}
		u := base.Fork()
		for _, a := range c.stoppedOn[nodeID] {
			if !a.TerminalStatus() {
				u.Remove(a)
			}
		}
		c.usage[nodeID] = u
		return u
	}
	allocs, err := c.state.AllocsByNode(nodeID)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("read allocations of node %q: %w", nodeID, err)
	}
	live := make([]*nomadlike.Allocation, 0, len(allocs))
	for _, a := range allocs {
		if !c.stopped[a.ID] {
			live = append(live, a)
		}
	}
	u := rank.NewNodeUsage(live)
	c.usage[nodeID] = u
	return u
}

// stop takes a planned stop into account.
func (c *planContext) stop(a *nomadlike.Allocation) {
	if c.stopped[a.ID] {
		return
	}
	c.stopped[a.ID] = true
	c.stoppedOn[a.NodeID] = append(c.stoppedOn[a.NodeID], a)
	if u, ok := c.usage[a.NodeID]; ok && !a.TerminalStatus() {
		u.Remove(a)
	}
	c.removeJobAlloc(a)
}

// unstop reverts stop, for a replacement that found no node.
func (c *planContext) unstop(a *nomadlike.Allocation) {
	if !c.stopped[a.ID] {
		return
	}
	delete(c.stopped, a.ID)
	list := c.stoppedOn[a.NodeID]
	for i, x := range list {
		if x.ID == a.ID {
			c.stoppedOn[a.NodeID] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if u, ok := c.usage[a.NodeID]; ok && !a.TerminalStatus() {
		u.Add(a)
	}
	if !a.TerminalStatus() {
		c.addJobAlloc(a)
	}
}

func (c *planContext) removeJobAlloc(a *nomadlike.Allocation) {
	list := c.jobAllocs[a.NodeID]
	for i, x := range list {
		if x.ID == a.ID {
			c.jobAllocs[a.NodeID] = append(list[:i:i], list[i+1:]...)
			c.groupsOn[groupOnNode{a.NodeID, a.TaskGroup}]--
			return
		}
	}
}

// place takes a planned placement into account.
func (c *planContext) place(a *nomadlike.Allocation) {
	c.nodeUsage(a.NodeID).Add(a)
	c.addJobAlloc(a)
}

// OnNode implements feasible.JobAllocs.
func (c *planContext) OnNode(nodeID string) []*nomadlike.Allocation { return c.jobAllocs[nodeID] }

// Each implements feasible.JobAllocs.
func (c *planContext) Each(fn func(*nomadlike.Allocation, *nomadlike.Node)) {
	for nodeID, allocs := range c.jobAllocs {
		n := c.nodes[nodeID]
		for _, a := range allocs {
			fn(a, n)
		}
	}
}

// groupCount counts the job's proposed allocations of a group on a node.
func (c *planContext) groupCount(nodeID, group string) int {
	return c.groupsOn[groupOnNode{nodeID, group}]
}

// groupOnNode keys planContext.groupsOn.
type groupOnNode struct{ node, group string }

func (c *planContext) addJobAlloc(a *nomadlike.Allocation) {
	c.jobAllocs[a.NodeID] = append(c.jobAllocs[a.NodeID], a)
	c.groupsOn[groupOnNode{a.NodeID, a.TaskGroup}]++
}
