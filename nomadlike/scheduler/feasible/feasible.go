package feasible

import (
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Reasons a node is filtered; they reach the user in
// AllocMetric.ConstraintFiltered. Constraint failures use ConstraintReason.
const (
	ReasonNodeNotReady     = "node is not ready"
	ReasonNodeDraining     = "node is draining"
	ReasonNodeIneligible   = "node is ineligible for scheduling"
	ReasonDatacenter       = "node is not in the job's datacenters"
	ReasonNodePool         = "node is not in the job's node pool"
	ReasonMissingDrivers   = "missing drivers"
	ReasonDistinctHosts    = "distinct_hosts: node already runs an allocation of the job"
	ReasonDistinctProperty = "distinct_property: property value already used"
	ReasonMissingProperty  = "distinct_property: node lacks the property"
)

// AllNodePools is the node pool name a job uses to run in every pool.
const AllNodePools = "all"

// ConstraintReason is the reason recorded when a node fails c, such as
// "constraint ${attr.kernel.name} = linux".
func ConstraintReason(c *nomadlike.Constraint) string {
	return "constraint " + c.String()
}

// Ready checks that a node may receive new allocations: status ready, not
// draining, eligible.
func Ready(node *nomadlike.Node) (bool, string) {
	switch {
	case node.Status != nomadlike.NodeStatusReady:
		return false, ReasonNodeNotReady
	case node.DrainStrategy != nil:
		return false, ReasonNodeDraining
	case node.SchedulingEligibility == nomadlike.NodeSchedulingIneligible:
		return false, ReasonNodeIneligible
	}
	return true, ""
}

// Datacenter checks the node's datacenter against the job's list, whose
// entries may be globs ("*", "dc*", "us-?-1").
func Datacenter(node *nomadlike.Node, datacenters []string) (bool, string) {
	for _, dc := range datacenters {
		if Glob(dc, node.Datacenter) {
			return true, ""
		}
	}
	return false, ReasonDatacenter
}

// NodePool checks the node's pool against the job's ("all" matches every
// pool; an empty pool is the default pool).
func NodePool(node *nomadlike.Node, pool string) (bool, string) {
	if pool == AllNodePools {
		return true, ""
	}
	np := node.NodePool
	if np == "" {
		np = nomadlike.DefaultNodePool
	}
	if pool == "" {
		pool = nomadlike.DefaultNodePool
	}
	if np == pool {
		return true, ""
	}
	return false, ReasonNodePool
}

// Drivers checks that every driver the group's tasks use is present and
// healthy on the node: a fingerprinted healthy driver, or, for nodes that
// report none, a truthy "driver.NAME" attribute.
func Drivers(node *nomadlike.Node, tg *nomadlike.TaskGroup) (bool, string) {
	for _, t := range tg.Tasks {
		if !hasDriver(node, t.Driver) {
			return false, ReasonMissingDrivers
		}
	}
	return true, ""
}

func hasDriver(node *nomadlike.Node, name string) bool {
	if info, ok := node.Drivers[name]; ok && info != nil {
		return info.Detected && info.Healthy
	}
	switch strings.ToLower(node.Attributes["driver."+name]) {
	case "", "0", "false":
		return false
	}
	return true
}

// Glob matches s against a pattern where '*' matches any run of characters
// and '?' any one character.
func Glob(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if Glob(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}
