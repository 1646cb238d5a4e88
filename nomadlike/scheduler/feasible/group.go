package feasible

import (
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Static checks everything about a node that does not depend on other
// allocations: readiness, datacenter, node pool, drivers, and the job's,
// group's and tasks' constraints. The first failing check's reason is
// returned.
func (c *Checker) Static(node *nomadlike.Node, job *nomadlike.Job, tg *nomadlike.TaskGroup) (bool, string) {
	if ok, why := Ready(node); !ok {
		return false, why
	}
	return c.Placeable(node, job, tg)
}

// Placeable is Static without the readiness check, for system jobs that
// already chose their nodes.
func (c *Checker) Placeable(node *nomadlike.Node, job *nomadlike.Job, tg *nomadlike.TaskGroup) (bool, string) {
	if ok, why := Datacenter(node, job.Datacenters); !ok {
		return false, why
	}
	if ok, why := NodePool(node, job.NodePool); !ok {
		return false, why
	}
	if ok, why := Drivers(node, tg); !ok {
		return false, why
	}
	if ok, why := HostVolumes(node, tg); !ok { // host volumes (issue #17)
		return false, why
	}
	for _, list := range groupConstraints(job, tg) {
		for _, con := range list {
			if ok, why := c.Constraint(node, con); !ok {
				return false, why
			}
		}
	}
	return true, ""
}

func groupConstraints(job *nomadlike.Job, tg *nomadlike.TaskGroup) [][]*nomadlike.Constraint {
	out := [][]*nomadlike.Constraint{job.Constraints, tg.Constraints}
	for _, t := range tg.Tasks {
		out = append(out, t.Constraints)
	}
	return out
}

// JobAllocs is the job's proposed live allocations (existing non-terminal
// ones minus planned stops plus planned placements), which distinct_hosts
// and distinct_property look at.
type JobAllocs interface {
	// OnNode returns the job's proposed live allocations on the node.
	OnNode(nodeID string) []*nomadlike.Allocation
	// Each calls fn for every proposed live allocation of the job with
	// the node it is on (nil when unknown).
	Each(fn func(a *nomadlike.Allocation, node *nomadlike.Node))
}

// JobCheck is a per-placement check built by JobChecks.
type JobCheck func(node *nomadlike.Node) (bool, string)

type distinctProperty struct {
	target string
	limit  int
	counts map[string]int
}

// JobChecks returns the checks that depend on the job's other allocations
// (distinct_hosts, distinct_property at job, group or task level) for one
// placement of tg, or nil when the job has none. Build it again after each
// placement: it snapshots the property counts.
func JobChecks(job *nomadlike.Job, tg *nomadlike.TaskGroup, allocs JobAllocs) JobCheck {
	var hostsJob, hostsGroup bool
	var props []*distinctProperty
	for level, list := range groupConstraints(job, tg) {
		for _, con := range list {
			switch con.Operand {
			case nomadlike.ConstraintDistinctHosts:
				if level == 0 {
					hostsJob = true
				} else {
					hostsGroup = true
				}
			case nomadlike.ConstraintDistinctProperty:
				limit := 1
				if n, err := strconv.Atoi(strings.TrimSpace(con.RTarget)); err == nil && n > 0 {
					limit = n
				}
				p := &distinctProperty{target: con.LTarget, limit: limit, counts: map[string]int{}}
				jobLevel := level == 0
				allocs.Each(func(a *nomadlike.Allocation, n *nomadlike.Node) {
					if n == nil || (!jobLevel && a.TaskGroup != tg.Name) {
						return
					}
					if v, ok := ResolveTarget(p.target, n); ok {
						p.counts[v]++
					}
				})
				props = append(props, p)
			}
		}
	}
	if !hostsJob && !hostsGroup && len(props) == 0 {
		return nil
	}
	return func(node *nomadlike.Node) (bool, string) {
		if hostsJob || hostsGroup {
			for _, a := range allocs.OnNode(node.ID) {
				if hostsJob || a.TaskGroup == tg.Name {
					return false, ReasonDistinctHosts
				}
			}
		}
		for _, p := range props {
			v, ok := ResolveTarget(p.target, node)
			if !ok {
				return false, ReasonMissingProperty
			}
			if p.counts[v] >= p.limit {
				return false, ReasonDistinctProperty
			}
		}
		return true, ""
	}
}

// ComputedClass summarises what static checks look at on a node except
// its unique attributes: nodes with the same class are equally feasible for
// constraints that do not name unique values. Blocked evaluations record
// class eligibility so a node update can tell whether to retry them.
func ComputedClass(node *nomadlike.Node) string {
	h := fnv.New64a()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	write(node.Datacenter, node.NodeClass, node.NodePool)
	writeMap := func(prefix string, m map[string]string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			if !strings.HasPrefix(k, "unique.") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			write(prefix, k, m[k])
		}
	}
	writeMap("attr", node.Attributes)
	writeMap("meta", node.Meta)
	drivers := make([]string, 0, len(node.Drivers))
	for name, d := range node.Drivers {
		if d != nil && d.Detected && d.Healthy {
			drivers = append(drivers, name)
		}
	}
	sort.Strings(drivers)
	write(drivers...)
	write(hostVolumeClass(node)...) // host volumes (issue #17); none for most nodes
	return "v1:" + strconv.FormatUint(h.Sum64(), 16)
}

// EscapesClass reports whether the job's constraints look at unique node
// values, so class eligibility cannot stand for every node of a class.
func EscapesClass(job *nomadlike.Job, tg *nomadlike.TaskGroup) bool {
	for _, list := range groupConstraints(job, tg) {
		for _, con := range list {
			for _, t := range []string{con.LTarget, con.RTarget} {
				if strings.Contains(t, "unique.") {
					return true
				}
			}
			switch con.Operand {
			case nomadlike.ConstraintDistinctHosts, nomadlike.ConstraintDistinctProperty:
				return true
			}
		}
	}
	return false
}
