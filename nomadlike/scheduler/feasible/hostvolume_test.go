package feasible

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestHostVolumes(t *testing.T) {
	rw := &nomadlike.ClientHostVolumeConfig{Name: "data", Path: "/srv/data"}
	ro := &nomadlike.ClientHostVolumeConfig{Name: "data", Path: "/srv/data", ReadOnly: true}
	cases := []struct {
		name   string
		node   map[string]*nomadlike.ClientHostVolumeConfig
		req    nomadlike.VolumeRequest
		index  int
		static bool
		exact  bool
	}{
		{"present", map[string]*nomadlike.ClientHostVolumeConfig{"data": rw}, nomadlike.VolumeRequest{Type: "host", Source: "data"}, 0, true, true},
		{"missing", nil, nomadlike.VolumeRequest{Type: "host", Source: "data"}, 0, false, true},
		{"other name", map[string]*nomadlike.ClientHostVolumeConfig{"logs": rw}, nomadlike.VolumeRequest{Type: "host", Source: "data"}, 0, false, true},
		{"writable request on read-only volume", map[string]*nomadlike.ClientHostVolumeConfig{"data": ro}, nomadlike.VolumeRequest{Type: "host", Source: "data"}, 0, false, true},
		{"read-only request on read-only volume", map[string]*nomadlike.ClientHostVolumeConfig{"data": ro}, nomadlike.VolumeRequest{Type: "host", Source: "data", ReadOnly: true}, 0, true, true},
		{"read-only request on writable volume", map[string]*nomadlike.ClientHostVolumeConfig{"data": rw}, nomadlike.VolumeRequest{Type: "host", Source: "data", ReadOnly: true}, 0, true, true},
		{"csi request is not a host volume", nil, nomadlike.VolumeRequest{Type: "csi", Source: "data"}, 0, true, true},
		{"per_alloc index present", map[string]*nomadlike.ClientHostVolumeConfig{"data[1]": rw}, nomadlike.VolumeRequest{Type: "host", Source: "data", PerAlloc: true}, 1, true, true},
		{"per_alloc other index", map[string]*nomadlike.ClientHostVolumeConfig{"data[0]": rw}, nomadlike.VolumeRequest{Type: "host", Source: "data", PerAlloc: true}, 1, true, false},
		{"per_alloc bare name is not enough", map[string]*nomadlike.ClientHostVolumeConfig{"data": rw}, nomadlike.VolumeRequest{Type: "host", Source: "data", PerAlloc: true}, 0, false, false},
		{"per_alloc read-only volume", map[string]*nomadlike.ClientHostVolumeConfig{"data[0]": ro}, nomadlike.VolumeRequest{Type: "host", Source: "data", PerAlloc: true}, 0, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := fixture.Node()
			node.HostVolumes = tc.node
			req := tc.req
			tg := &nomadlike.TaskGroup{Name: "g", Volumes: map[string]*nomadlike.VolumeRequest{"v": &req}}
			ok, why := HostVolumes(node, tg)
			if ok != tc.static || (!ok && why != ReasonMissingHostVolumes) {
				t.Errorf("HostVolumes = %v %q, want %v", ok, why, tc.static)
			}
			if ok, _ := HostVolumesFor(node, tg, tc.index); ok != tc.exact {
				t.Errorf("HostVolumesFor(%d) = %v, want %v", tc.index, ok, tc.exact)
			}
			job := fixture.Job()
			if ok, _ := NewChecker().Static(node, job, tg); ok != tc.static {
				t.Errorf("Static = %v, want %v", ok, tc.static)
			}
		})
	}
}

func TestComputedClassHostVolumes(t *testing.T) {
	a, b := fixture.Node(), fixture.Node()
	b.ID = "other"
	if ComputedClass(a) != ComputedClass(b) {
		t.Fatal("same nodes differ in class")
	}
	b.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{"data": {Name: "data", Path: "/srv"}}
	if ComputedClass(a) == ComputedClass(b) {
		t.Fatal("a node with a host volume has the class of one without")
	}
}
