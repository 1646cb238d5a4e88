package nomadlike

import (
	"strconv"
	"strings"
)

// Dimensions a node can run out of, as AllocMetric.DimensionExhausted names them.
const (
	DimensionCPU          = "cpu"
	DimensionMemory       = "memory"
	DimensionDisk         = "disk"
	DimensionPorts        = "network: port collision"
	DimensionReservedPort = "network: reserved port"
)

// AllocsFit reports whether allocs (the node's proposed non-terminal
// allocations) fit on node: CPU, memory and disk after the node's
// reservations, and no host port used twice or taken from the node's
// reserved ports. When they do not fit it names the exhausted dimension.
// It returns the resources the allocations use. Terminal allocations in
// the list are skipped.
func AllocsFit(node *Node, allocs []*Allocation) (bool, string, ComparableResources) {
	var used ComparableResources
	for _, a := range allocs {
		if a.ClientTerminalStatus() || a.DesiredStatus == AllocDesiredStatusStop || a.DesiredStatus == AllocDesiredStatusEvict {
			continue
		}
		used.Add(a.Comparable())
	}
	if ok, dim := node.Comparable().Superset(used); !ok {
		return false, dim, used
	}
	if ok, dim := portsFit(node, allocs); !ok {
		return false, dim, used
	}
	return true, "", used
}

func portsFit(node *Node, allocs []*Allocation) (bool, string) {
	var reserved map[int]bool
	if node.ReservedResources != nil && node.ReservedResources.Networks.ReservedHostPorts != "" {
		reserved, _ = ParsePortRanges(node.ReservedResources.Networks.ReservedHostPorts)
	}
	seen := map[int]bool{}
	for _, a := range allocs {
		if a.ClientTerminalStatus() || a.DesiredStatus == AllocDesiredStatusStop || a.DesiredStatus == AllocDesiredStatusEvict {
			continue
		}
		for _, p := range a.HostPorts() {
			if reserved[p] {
				return false, DimensionReservedPort
			}
			if seen[p] {
				return false, DimensionPorts
			}
			seen[p] = true
		}
	}
	return true, ""
}

// HostPorts returns the host ports the allocation holds.
func (a *Allocation) HostPorts() []int {
	ar := a.AllocatedResources
	if ar == nil {
		return nil
	}
	var out []int
	if len(ar.Shared.Ports) > 0 {
		for _, p := range ar.Shared.Ports {
			if p.Value > 0 {
				out = append(out, p.Value)
			}
		}
	} else {
		for _, n := range ar.Shared.Networks {
			for _, p := range n.Ports() {
				if p.Value > 0 {
					out = append(out, p.Value)
				}
			}
		}
	}
	for _, t := range ar.Tasks {
		for _, n := range t.Networks {
			for _, p := range n.Ports() {
				if p.Value > 0 {
					out = append(out, p.Value)
				}
			}
		}
	}
	return out
}

// ParsePortRanges parses a port list like "22,80,8000-8010".
func ParsePortRanges(spec string) (map[int]bool, error) {
	out := map[int]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, &portRangeError{spec}
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || end < start {
				return nil, &portRangeError{spec}
			}
		}
		if start < 1 || end > 65535 {
			return nil, &portRangeError{spec}
		}
		for p := start; p <= end; p++ {
			out[p] = true
		}
	}
	return out, nil
}

type portRangeError struct{ spec string }

func (e *portRangeError) Error() string { return "invalid port range " + strconv.Quote(e.spec) }
