package server

import (
	"maps"
	"reflect"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
)

// capabilitiesChanged reports whether a node re-registering changed what the
// scheduler can place on it: its computed class (datacenter, class, pool,
// attributes, meta, healthy drivers), its unique attributes (which
// constraints may name, outside the class) or its resources. Heartbeat
// bookkeeping such as a driver's UpdateTime does not count.
func capabilitiesChanged(old, cur *nomadlike.Node) bool {
	if feasible.ComputedClass(old) != feasible.ComputedClass(cur) {
		return true
	}
	if !maps.Equal(old.Attributes, cur.Attributes) {
		return true
	}
	return !reflect.DeepEqual(old.NodeResources, cur.NodeResources) ||
		!reflect.DeepEqual(old.ReservedResources, cur.ReservedResources)
}
