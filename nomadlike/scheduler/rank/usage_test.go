package rank

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestForkLeavesBaseUnchanged(t *testing.T) {
	withPort := func(id string, port int) *nomadlike.Allocation {
		return &nomadlike.Allocation{ID: id, AllocatedResources: &nomadlike.AllocatedResources{
			Tasks:  map[string]*nomadlike.AllocatedTaskResources{"t": {Cpu: nomadlike.AllocatedCpuResources{CpuShares: 100}}},
			Shared: nomadlike.AllocatedSharedResources{Ports: []nomadlike.AllocatedPort{{Label: "p", Value: port}}},
		}}
	}
	a, b := withPort("a", 8080), withPort("b", 9090)
	base := NewNodeUsage([]*nomadlike.Allocation{a})
	f := base.Fork()
	f.Add(b)
	f.Remove(a)
	if base.Ports[8080] != 1 || base.Ports[9090] != 0 || base.Used.CPU != 100 {
		t.Errorf("base after changing a fork = ports %v cpu %d, want {8080:1} cpu 100", base.Ports, base.Used.CPU)
	}
	if f.Ports[8080] != 0 || f.Ports[9090] != 1 || f.Used.CPU != 100 {
		t.Errorf("fork = ports %v cpu %d, want {9090:1} cpu 100", f.Ports, f.Used.CPU)
	}
}
