package nomadlike_test

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestAllocsFit(t *testing.T) {
	job := fixture.Job() // 500 MHz, 256 MB, 300 MB disk per alloc
	withPort := func(a *nomadlike.Allocation, port int) *nomadlike.Allocation {
		a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "http", Value: port}}
		return a
	}
	cases := []struct {
		name    string
		node    func() *nomadlike.Node
		allocs  func(n *nomadlike.Node) []*nomadlike.Allocation
		wantOK  bool
		wantDim string
	}{
		{"empty", fixture.Node, func(*nomadlike.Node) []*nomadlike.Allocation { return nil }, true, ""},
		{"eight fill the cpu", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			var out []*nomadlike.Allocation
			for i := range 8 {
				out = append(out, fixture.Alloc(job, n, i))
			}
			return out
		}, true, ""},
		{"nine exceed the cpu", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			var out []*nomadlike.Allocation
			for i := range 9 {
				out = append(out, fixture.Alloc(job, n, i))
			}
			return out
		}, false, "cpu"},
		{"terminal allocs do not count", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			var out []*nomadlike.Allocation
			for i := range 9 {
				a := fixture.Alloc(job, n, i)
				if i == 0 {
					a.ClientStatus = nomadlike.AllocClientStatusComplete
				}
				out = append(out, a)
			}
			return out
		}, true, ""},
		{"reservations shrink the node", func() *nomadlike.Node {
			n := fixture.Node()
			n.ReservedResources.Memory.MemoryMB = 8000
			return n
		}, func(n *nomadlike.Node) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{fixture.Alloc(job, n, 0)}
		}, false, "memory"},
		{"port collision", fixture.Node, func(n *nomadlike.Node) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{withPort(fixture.Alloc(job, n, 0), 8080), withPort(fixture.Alloc(job, n, 1), 8080)}
		}, false, nomadlike.DimensionPorts},
		{"reserved host port", func() *nomadlike.Node {
			n := fixture.Node()
			n.ReservedResources.Networks.ReservedHostPorts = "22,8000-8100"
			return n
		}, func(n *nomadlike.Node) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{withPort(fixture.Alloc(job, n, 0), 8080)}
		}, false, nomadlike.DimensionReservedPort},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.node()
			ok, dim, _ := nomadlike.AllocsFit(n, tc.allocs(n))
			if ok != tc.wantOK || dim != tc.wantDim {
				t.Errorf("AllocsFit() = %v, %q, want %v, %q", ok, dim, tc.wantOK, tc.wantDim)
			}
		})
	}
}
