package rank

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
)

func portGroup(static []int, dynamic int) *nomadlike.TaskGroup {
	tg := fixture.Job().TaskGroups[0]
	n := &nomadlike.NetworkResource{}
	for _, p := range static {
		n.ReservedPorts = append(n.ReservedPorts, nomadlike.Port{Label: "s" + itoa(p), Value: p})
	}
	for i := range dynamic {
		n.DynamicPorts = append(n.DynamicPorts, nomadlike.Port{Label: "d" + itoa(i)})
	}
	tg.Networks = []*nomadlike.NetworkResource{n}
	return tg
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFit(t *testing.T) {
	job := fixture.Job()
	cases := []struct {
		name    string
		node    func() *nomadlike.Node
		used    func(n *nomadlike.Node) []*nomadlike.Allocation
		tg      *nomadlike.TaskGroup
		wantOK  bool
		wantDim string
	}{
		{"empty node", fixture.Node, nil, job.TaskGroups[0], true, ""},
		{"cpu exhausted", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			var out []*nomadlike.Allocation
			for i := range 8 {
				out = append(out, fixture.Alloc(job, n, i))
			}
			return out
		}, job.TaskGroups[0], false, nomadlike.DimensionCPU},
		{"memory exhausted", func() *nomadlike.Node {
			n := fixture.Node()
			n.NodeResources.Memory.MemoryMB = 200
			return n
		}, nil, job.TaskGroups[0], false, nomadlike.DimensionMemory},
		{"disk after reservation", func() *nomadlike.Node {
			n := fixture.Node()
			n.ReservedResources.Disk.DiskMB = n.NodeResources.Disk.DiskMB - 100
			return n
		}, nil, job.TaskGroups[0], false, nomadlike.DimensionDisk},
		{"terminal allocs free their resources", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			var out []*nomadlike.Allocation
			for i := range 8 {
				a := fixture.Alloc(job, n, i)
				a.ClientStatus = nomadlike.AllocClientStatusComplete
				out = append(out, a)
			}
			return out
		}, job.TaskGroups[0], true, ""},
		{"static port used", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			a := fixture.Alloc(job, n, 0)
			a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "x", Value: 8080}}
			return []*nomadlike.Allocation{a}
		}, portGroup([]int{8080}, 0), false, nomadlike.DimensionPorts},
		{"static port reserved by node", func() *nomadlike.Node {
			n := fixture.Node()
			n.ReservedResources.Networks.ReservedHostPorts = "22,8000-8100"
			return n
		}, nil, portGroup([]int{8080}, 0), false, nomadlike.DimensionReservedPort},
		{"dynamic range exhausted", func() *nomadlike.Node {
			n := fixture.Node()
			n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20002
			n.ReservedResources.Networks.ReservedHostPorts = "20001"
			return n
		}, func(n *nomadlike.Node) []*nomadlike.Allocation {
			a := fixture.Alloc(job, n, 0)
			a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "x", Value: 20000}}
			return []*nomadlike.Allocation{a}
		}, portGroup(nil, 2), false, nomadlike.DimensionPorts},
		{"last dynamic port is found", func() *nomadlike.Node {
			n := fixture.Node()
			n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20002
			n.ReservedResources.Networks.ReservedHostPorts = "20001"
			return n
		}, func(n *nomadlike.Node) []*nomadlike.Allocation {
			a := fixture.Alloc(job, n, 0)
			a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "x", Value: 20000}}
			return []*nomadlike.Allocation{a}
		}, portGroup(nil, 1), true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := tc.node()
			var allocs []*nomadlike.Allocation
			if tc.used != nil {
				allocs = tc.used(node)
			}
			f := NewFitter(rand.New(rand.NewPCG(1, 2)))
			usage := NewNodeUsage(allocs)
			ok, dim := f.Fit(node, usage, tc.tg, tc.tg.ComparableResources())
			if ok != tc.wantOK || dim != tc.wantDim {
				t.Fatalf("Fit = %v, %q, want %v, %q", ok, dim, tc.wantOK, tc.wantDim)
			}
			if !ok {
				return
			}
			offer, ok := f.Offer(node, usage, tc.tg)
			if !ok {
				t.Fatalf("Offer after Fit = false")
			}
			// Whatever Fit grants must pass the plan applier's check.
			a := &nomadlike.Allocation{ID: "new", NodeID: node.ID, AllocatedResources: Resources(tc.tg, offer),
				DesiredStatus: nomadlike.AllocDesiredStatusRun, ClientStatus: nomadlike.AllocClientStatusPending}
			if fits, dim, _ := nomadlike.AllocsFit(node, append(allocs, a)); !fits {
				t.Fatalf("AllocsFit after Fit = false (%s)", dim)
			}
		})
	}
}

func TestFitPortsNoCollisionsAndDeterministic(t *testing.T) {
	node := fixture.Node()
	node.NodeResources.MinDynamicPort, node.NodeResources.MaxDynamicPort = 20000, 20063
	node.ReservedResources.Networks.ReservedHostPorts = "20010-20019"
	node.NodeResources.Cpu.CpuShares = 100_000
	tg := portGroup([]int{9000}, 3)
	tg.Networks[0].ReservedPorts = nil // static ports would collide across allocs
	run := func() []int {
		f := NewFitter(rand.New(rand.NewPCG(7, 7)))
		usage := NewNodeUsage(nil)
		var ports []int
		for i := range 18 { // 18*3 = 54 = 64 - 10 reserved
			ok, dim := f.Fit(node, usage, tg, nomadlike.ComparableResources{})
			if !ok {
				t.Fatalf("placement %d: Fit = false (%s)", i, dim)
			}
			offer, ok := f.Offer(node, usage, tg)
			if !ok {
				t.Fatalf("placement %d: Offer = false", i)
			}
			a := &nomadlike.Allocation{AllocatedResources: Resources(tg, offer)}
			usage.Add(a)
			ports = append(ports, a.HostPorts()...)
		}
		if ok, _ := f.Fit(node, usage, tg, nomadlike.ComparableResources{}); ok {
			t.Fatalf("Fit with the range full = true, want false")
		}
		return ports
	}
	first := run()
	seen := map[int]bool{}
	for _, p := range first {
		if seen[p] || (p >= 20010 && p <= 20019) || p < 20000 || p > 20063 {
			t.Fatalf("port %d reused, reserved or out of range", p)
		}
		seen[p] = true
	}
	second := run()
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("same seed gave port %d then %d", first[i], second[i])
		}
	}
}

func TestNodeUsageAddRemove(t *testing.T) {
	job := fixture.Job()
	node := fixture.Node()
	a := fixture.Alloc(job, node, 0)
	a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "x", Value: 25000}}
	u := NewNodeUsage([]*nomadlike.Allocation{a})
	if u.Used.CPU != 500 || u.Ports[25000] != 1 {
		t.Fatalf("usage = %+v", u)
	}
	u.Remove(a)
	if u.Used != (nomadlike.ComparableResources{}) || len(u.Ports) != 0 {
		t.Fatalf("usage after remove = %+v, want empty", u)
	}
}

// TestFitScores: binpack scores the fuller of two nodes at least as high
// (best fit), spread at most as high (worst fit); both stay in [0, 1] with
// the empty and the full node at the ends.
func TestFitScores(t *testing.T) {
	cases := []struct {
		name        string
		score       func(*nomadlike.Node, nomadlike.ComparableResources) float64
		fullerFirst bool
		empty, full float64
	}{
		{"binpack", BinPackScore, true, 0, 1},
		{"spread", SpreadFitScore, false, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			node := fixture.Node()
			capacity := node.Comparable()
			for range 1000 {
				u1 := nomadlike.ComparableResources{CPU: rng.Int64N(capacity.CPU), MemoryMB: rng.Int64N(capacity.MemoryMB)}
				u2 := nomadlike.ComparableResources{CPU: rng.Int64N(capacity.CPU), MemoryMB: rng.Int64N(capacity.MemoryMB)}
				s1, s2 := tc.score(node, u1), tc.score(node, u2)
				if s1 < 0 || s1 > 1 {
					t.Fatalf("score(%v) = %v, out of [0,1]", u1, s1)
				}
				fuller := u1.CPU >= u2.CPU && u1.MemoryMB >= u2.MemoryMB
				if fuller && ((tc.fullerFirst && s1 < s2) || (!tc.fullerFirst && s1 > s2)) {
					t.Fatalf("fuller node %v scored %v against %v for %v", u1, s1, s2, u2)
				}
			}
			if got := tc.score(node, capacity); got != tc.full {
				t.Errorf("score(full node) = %v, want %v", got, tc.full)
			}
			if got := tc.score(node, nomadlike.ComparableResources{}); got != tc.empty {
				t.Errorf("score(empty node) = %v, want %v", got, tc.empty)
			}
		})
	}
}

func TestScores(t *testing.T) {
	node := fixture.Node()
	node.Meta["rack"] = "r1"
	c := feasible.NewChecker()
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"anti-affinity no collision", AntiAffinityScore(0, 3), 0},
		{"anti-affinity one collision", AntiAffinityScore(1, 4), -0.5},
		{"anti-affinity floor", AntiAffinityScore(9, 2), -1},
		{"affinity match", AffinityScore(c, node, []*nomadlike.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 50}}), 1},
		{"affinity mixed", AffinityScore(c, node, []*nomadlike.Affinity{
			{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: 50},
			{LTarget: "${meta.rack}", Operand: "=", RTarget: "r2", Weight: 50}}), 0.5},
		{"affinity negative", AffinityScore(c, node, []*nomadlike.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1", Weight: -100}}), -1},
		{"spread even: empty value", SpreadScore(node, []SpreadInput{{Spread: &nomadlike.Spread{Attribute: "${meta.rack}", Weight: 50},
			Counts: map[string]int{"r2": 2}}}, 4), 1},
		{"spread even: crowded value", SpreadScore(node, []SpreadInput{{Spread: &nomadlike.Spread{Attribute: "${meta.rack}", Weight: 50},
			Counts: map[string]int{"r1": 3, "r2": 1}}}, 4), -0.5},
		{"spread target below share", SpreadScore(node, []SpreadInput{{Spread: &nomadlike.Spread{Attribute: "${meta.rack}", Weight: 50,
			SpreadTarget: []*nomadlike.SpreadTarget{{Value: "r1", Percent: 50}}}, Counts: map[string]int{}}}, 4), 1},
		{"spread target reached", SpreadScore(node, []SpreadInput{{Spread: &nomadlike.Spread{Attribute: "${meta.rack}", Weight: 50,
			SpreadTarget: []*nomadlike.SpreadTarget{{Value: "r1", Percent: 50}}}, Counts: map[string]int{"r1": 2}}}, 4), 0},
		{"spread missing attribute", SpreadScore(node, []SpreadInput{{Spread: &nomadlike.Spread{Attribute: "${meta.zone}", Weight: 50},
			Counts: map[string]int{}}}, 4), -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := tc.got - tc.want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("score = %v, want %v", tc.got, tc.want)
			}
		})
	}
}
