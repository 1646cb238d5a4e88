package rank

import (
	"math/rand/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// NodeUsage is what a node's proposed allocations hold: resources and host
// ports. The scheduler keeps one per node it touches and updates it as it
// plans stops and placements. Not safe for concurrent use.
type NodeUsage struct {
	Used  nomadlike.ComparableResources
	Ports map[int]int // host port -> allocations holding it; read-only while shared

	sharedPorts bool // Ports belongs to the usage this one was forked from
}

// Fork returns a copy of u that can be changed without changing u; the
// port map is copied only when the copy first changes it. u itself must
// not change while forks of it are in use.
func (u *NodeUsage) Fork() *NodeUsage {
	return &NodeUsage{Used: u.Used, Ports: u.Ports, sharedPorts: true}
}

func (u *NodeUsage) ownPorts() {
	if !u.sharedPorts {
		return
	}
	own := make(map[int]int, len(u.Ports)+1)
	for p, n := range u.Ports {
		own[p] = n
	}
	u.Ports, u.sharedPorts = own, false
}

// NewNodeUsage sums the non-terminal allocations of a node.
func NewNodeUsage(allocs []*nomadlike.Allocation) *NodeUsage {
	u := &NodeUsage{Ports: map[int]int{}}
	for _, a := range allocs {
		if !a.TerminalStatus() {
			u.Add(a)
		}
	}
	return u
}

// Add counts an allocation placed on the node.
func (u *NodeUsage) Add(a *nomadlike.Allocation) {
	u.Used.Add(a.Comparable())
	ports := a.HostPorts()
	if len(ports) > 0 {
		u.ownPorts()
	}
	for _, p := range ports {
		u.Ports[p]++
	}
}

// Remove uncounts an allocation stopped on the node.
func (u *NodeUsage) Remove(a *nomadlike.Allocation) {
	u.Used.Sub(a.Comparable())
	ports := a.HostPorts()
	if len(ports) > 0 {
		u.ownPorts()
	}
	for _, p := range ports {
		if u.Ports[p] <= 1 {
			delete(u.Ports, p)
		} else {
			u.Ports[p]--
		}
	}
}

// Offer is what Fit grants one allocation of a group on a node: the group's
// networks and each task's networks with every port given a host value.
type Offer struct {
	Shared       []*nomadlike.NetworkResource
	Ports        []nomadlike.AllocatedPort
	TaskNetworks map[string][]*nomadlike.NetworkResource
}

// Fitter decides whether a group fits on a node. It caches each node's
// reserved host ports and draws dynamic ports from its seeded random
// source, so the same inputs give the same ports. Not safe for concurrent
// use.
type Fitter struct {
	rng      *rand.Rand
	reserved map[string]map[int]bool
}

// NewFitter returns a Fitter drawing dynamic ports from rng.
func NewFitter(rng *rand.Rand) *Fitter {
	return &Fitter{rng: rng, reserved: map[string]map[int]bool{}}
}

func (f *Fitter) reservedPorts(node *nomadlike.Node) map[int]bool {
	if r, ok := f.reserved[node.ID]; ok {
		return r
	}
	var r map[int]bool
	if node.ReservedResources != nil && node.ReservedResources.Networks.ReservedHostPorts != "" {
		r, _ = nomadlike.ParsePortRanges(node.ReservedResources.Networks.ReservedHostPorts)
	}
	f.reserved[node.ID] = r
	return r
}

// Fit reports whether one allocation of tg, asking ask, fits on node next
// to usage (the node's proposed allocations). It checks CPU, memory and
// disk after the node's reservations, then ports: static ports must be
// free and not reserved by the node, and the node's dynamic range must
// have enough free ports. When it does not fit it names the exhausted
// dimension (nomadlike.Dimension*). Fit allocates nothing and changes
// nothing; Offer then grants the ports on the chosen node.
func (f *Fitter) Fit(node *nomadlike.Node, usage *NodeUsage, tg *nomadlike.TaskGroup, ask nomadlike.ComparableResources) (bool, string) {
	total := usage.Used
	total.Add(ask)
	if ok, dim := node.Comparable().Superset(total); !ok {
		return false, dim
	}
	if !hasNetworks(tg) {
		return true, ""
	}
	reserved := f.reservedPorts(node)
	lo, hi := dynamicRange(node)
	dynamic, staticInRange := 0, 0
	var static []int
	check := func(n *nomadlike.NetworkResource) string {
		for _, p := range n.ReservedPorts {
			switch {
			case reserved[p.Value]:
				return nomadlike.DimensionReservedPort
			case usage.Ports[p.Value] > 0 || containsInt(static, p.Value):
				return nomadlike.DimensionPorts
			}
			static = append(static, p.Value)
			if p.Value >= lo && p.Value <= hi {
				staticInRange++
			}
		}
		dynamic += len(n.DynamicPorts)
		return ""
	}
	for _, n := range tg.Networks {
		if dim := check(n); dim != "" {
			return false, dim
		}
	}
	for _, t := range tg.Tasks {
		if t.Resources == nil {
			continue
		}
		for _, n := range t.Resources.Networks {
			if dim := check(n); dim != "" {
				return false, dim
			}
		}
	}
	if dynamic == 0 {
		return true, ""
	}
	taken := staticInRange
	for p := range usage.Ports {
		if p >= lo && p <= hi && !reserved[p] {
			taken++
		}
	}
	for p := range reserved {
		if p >= lo && p <= hi {
			taken++
		}
	}
	if (hi-lo+1)-taken < dynamic {
		return false, nomadlike.DimensionPorts
	}
	return true, ""
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func dynamicRange(node *nomadlike.Node) (int, int) {
	if nr := node.NodeResources; nr != nil && nr.MinDynamicPort > 0 && nr.MaxDynamicPort >= nr.MinDynamicPort {
		return nr.MinDynamicPort, nr.MaxDynamicPort
	}
	return nomadlike.MinDynamicPort, nomadlike.MaxDynamicPort
}

func hasNetworks(tg *nomadlike.TaskGroup) bool {
	if len(tg.Networks) > 0 {
		return true
	}
	for _, t := range tg.Tasks {
		if t.Resources != nil && len(t.Resources.Networks) > 0 {
			return true
		}
	}
	return false
}

// Offer grants one allocation of tg its ports on node: static ports as
// asked, dynamic ports drawn from the node's dynamic range avoiding used,
// reserved and already granted ones. Call it after Fit accepted the node;
// it returns false when the ports do not fit after all.
func (f *Fitter) Offer(node *nomadlike.Node, usage *NodeUsage, tg *nomadlike.TaskGroup) (*Offer, bool) {
	if !hasNetworks(tg) {
		return &Offer{}, true
	}
	reserved := f.reservedPorts(node)
	taken := map[int]bool{} // ports granted to this allocation so far
	free := func(p int) bool { return usage.Ports[p] == 0 && !reserved[p] && !taken[p] }

	// Static ports first, so dynamic picks cannot take them.
	var all []*nomadlike.NetworkResource
	all = append(all, tg.Networks...)
	for _, t := range tg.Tasks {
		if t.Resources != nil {
			all = append(all, t.Resources.Networks...)
		}
	}
	for _, n := range all {
		for _, p := range n.ReservedPorts {
			if !free(p.Value) {
				return nil, false
			}
			taken[p.Value] = true
		}
	}
	lo, hi := dynamicRange(node)
	ip := ""
	if nr := node.NodeResources; nr != nil && len(nr.Networks) > 0 {
		ip = nr.Networks[0].IP
	}
	grant := func(n *nomadlike.NetworkResource) (*nomadlike.NetworkResource, bool) {
		out := n.Copy()
		if out.IP == "" {
			out.IP = ip
		}
		for i := range out.DynamicPorts {
			p, ok := f.pickPort(lo, hi, free)
			if !ok {
				return nil, false
			}
			taken[p] = true
			out.DynamicPorts[i].Value = p
		}
		return out, true
	}
	offer := &Offer{}
	for _, n := range tg.Networks {
		g, ok := grant(n)
		if !ok {
			return nil, false
		}
		offer.Shared = append(offer.Shared, g)
		for _, p := range g.Ports() {
			offer.Ports = append(offer.Ports, nomadlike.AllocatedPort{Label: p.Label, Value: p.Value, To: p.To, HostIP: g.IP})
		}
	}
	for _, t := range tg.Tasks {
		if t.Resources == nil {
			continue
		}
		for _, n := range t.Resources.Networks {
			g, ok := grant(n)
			if !ok {
				return nil, false
			}
			if offer.TaskNetworks == nil {
				offer.TaskNetworks = map[string][]*nomadlike.NetworkResource{}
			}
			offer.TaskNetworks[t.Name] = append(offer.TaskNetworks[t.Name], g)
		}
	}
	return offer, true
}

// pickPort draws a few random ports in [lo, hi], then scans from a random
// start, so a crowded range still finds the last free port.
func (f *Fitter) pickPort(lo, hi int, free func(int) bool) (int, bool) {
	span := hi - lo + 1
	for range 16 {
		if p := lo + f.rng.IntN(span); free(p) {
			return p, true
		}
	}
	start := f.rng.IntN(span)
	for i := range span {
		if p := lo + (start+i)%span; free(p) {
			return p, true
		}
	}
	return 0, false
}

// Resources builds the AllocatedResources of an allocation of tg with the
// ports of offer.
func Resources(tg *nomadlike.TaskGroup, offer *Offer) *nomadlike.AllocatedResources {
	ar := &nomadlike.AllocatedResources{Tasks: make(map[string]*nomadlike.AllocatedTaskResources, len(tg.Tasks))}
	for _, t := range tg.Tasks {
		tr := &nomadlike.AllocatedTaskResources{}
		if t.Resources != nil {
			tr.Cpu.CpuShares = int64(t.Resources.CPU)
			tr.Memory.MemoryMB = int64(t.Resources.MemoryMB)
			tr.Memory.MemoryMaxMB = int64(t.Resources.MemoryMaxMB)
		}
		if offer != nil {
			tr.Networks = offer.TaskNetworks[t.Name]
		}
		ar.Tasks[t.Name] = tr
	}
	if tg.EphemeralDisk != nil {
		ar.Shared.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	if offer != nil {
		ar.Shared.Networks = offer.Shared
		ar.Shared.Ports = offer.Ports
	}
	return ar
}
