package feasible

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestHostVolumeNode: the node checks of a new dynamic host volume.
func TestHostVolumeNode(t *testing.T) {
	node := func() *nomadlike.Node {
		return &nomadlike.Node{ID: "n1", NodePool: "prod", Status: nomadlike.NodeStatusReady,
			SchedulingEligibility: nomadlike.NodeSchedulingEligible,
			Attributes:            map[string]string{"kernel.name": "linux"},
			HostVolumes:           map[string]*nomadlike.ClientHostVolumeConfig{"static": {Name: "static", Path: "/srv"}}}
	}
	linux := []*nomadlike.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}}
	for _, tc := range []struct {
		name string
		node func(*nomadlike.Node)
		vol  nomadlike.HostVolume
		why  string
	}{
		{"fits", nil, nomadlike.HostVolume{Name: "v", NodeID: "n1", NodePool: "prod", Constraints: linux}, ""},
		{"any pool", nil, nomadlike.HostVolume{Name: "v", NodePool: "all"}, ""},
		{"node id", nil, nomadlike.HostVolume{Name: "v", NodeID: "n2"}, ReasonVolumeNodeID},
		{"pool", nil, nomadlike.HostVolume{Name: "v", NodePool: "dev"}, ReasonNodePool},
		{"constraint", nil, nomadlike.HostVolume{Name: "v", Constraints: []*nomadlike.Constraint{
			{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"}}}, "constraint ${attr.kernel.name} = windows"},
		{"name used", nil, nomadlike.HostVolume{Name: "static"}, ReasonVolumeNameUsed},
		{"down", func(n *nomadlike.Node) { n.Status = nomadlike.NodeStatusDown }, nomadlike.HostVolume{Name: "v"}, ReasonNodeNotReady},
		{"ineligible", func(n *nomadlike.Node) { n.SchedulingEligibility = nomadlike.NodeSchedulingIneligible },
			nomadlike.HostVolume{Name: "v"}, ReasonNodeIneligible},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := node()
			if tc.node != nil {
				tc.node(n)
			}
			ok, why := NewChecker().HostVolumeNode(n, &tc.vol)
			if ok != (tc.why == "") || why != tc.why {
				t.Errorf("HostVolumeNode = %v, %q; want %q", ok, why, tc.why)
			}
		})
	}
}
