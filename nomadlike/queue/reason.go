package queue

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// NodeFree is what one ready node has left after its live allocations.
type NodeFree struct {
	Name string
	Free nomadlike.ComparableResources
}

// FreeByNode computes the free resources of every ready node; allocsByNode
// maps a node ID to its allocations (terminal ones are ignored).
func FreeByNode(nodes []*nomadlike.Node, allocsByNode map[string][]*nomadlike.Allocation) []NodeFree {
	out := make([]NodeFree, 0, len(nodes))
	for _, n := range nodes {
		if n == nil || !n.Ready() {
			continue
		}
		_, _, used := nomadlike.AllocsFit(n, allocsByNode[n.ID])
		c := n.Comparable()
		name := n.Name
		if name == "" {
			name = n.ID
		}
		out = append(out, NodeFree{Name: name, Free: nomadlike.ComparableResources{
			CPU: c.CPU - used.CPU, MemoryMB: c.MemoryMB - used.MemoryMB, DiskMB: c.DiskMB - used.DiskMB,
		}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// dimension is one resource a group asks for.
type dimension struct {
	name, unit string
	get        func(nomadlike.ComparableResources) int64
}

var dimensions = []dimension{
	{"memory", "MB", func(c nomadlike.ComparableResources) int64 { return c.MemoryMB }},
	{"CPU", "MHz", func(c nomadlike.ComparableResources) int64 { return c.CPU }},
	{"disk", "MB", func(c nomadlike.ComparableResources) int64 { return c.DiskMB }},
}

// Reason says why ask (one allocation of a waiting group) cannot be placed
// on any of the nodes, e.g. `no node has 4096 MB free memory (largest free:
// 2048 MB on node-7)`. It names the first dimension (memory, CPU, disk) no
// single node has enough of (the node is named unless its Name is empty:
// see Anonymous); when each dimension fits somewhere but no node
// has all of them it says so; with no ready node it says that. It returns ""
// when some node fits ask (the wait is then for constraints, ports or the
// scheduler's turn).
func Reason(ask nomadlike.ComparableResources, nodes []NodeFree) string {
	if len(nodes) == 0 {
		return "no ready node"
	}
	for _, d := range dimensions {
		want := d.get(ask)
		best := -1
		for i, n := range nodes {
			if best < 0 || d.get(n.Free) > d.get(nodes[best].Free) {
				best = i
			}
		}
		if want > 0 && d.get(nodes[best].Free) < want {
			where := ""
			if nodes[best].Name != "" {
				where = " on " + nodes[best].Name
			}
			return fmt.Sprintf("no node has %d %s free %s (largest free: %d %s%s)",
				want, d.unit, d.name, max(d.get(nodes[best].Free), 0), d.unit, where)
		}
	}
	for _, n := range nodes {
		if n.Free.CPU >= ask.CPU && n.Free.MemoryMB >= ask.MemoryMB && n.Free.DiskMB >= ask.DiskMB {
			return ""
		}
	}
	return fmt.Sprintf("no node has %d MHz CPU, %d MB memory and %d MB disk free at once", ask.CPU, ask.MemoryMB, ask.DiskMB)
}

// Status is the one-line queue status of a waiting job, e.g. `queued: 3rd of
// 12 at priority 50; no node has 4096 MB free memory (largest free: 2048 MB
// on node-7)`. position is 1-based; why may be empty.
func Status(position, total, priority int, why string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "queued: %s of %d at priority %d", Ordinal(position), total, priority)
	if why != "" {
		b.WriteString("; ")
		b.WriteString(why)
	}
	return b.String()
}

// Anonymous returns nodes without their names, for callers that may not
// read nodes (the reason then says `largest free: 2048 MB`).
func Anonymous(nodes []NodeFree) []NodeFree {
	out := make([]NodeFree, len(nodes))
	for i, n := range nodes {
		out[i] = NodeFree{Free: n.Free}
	}
	return out
}
