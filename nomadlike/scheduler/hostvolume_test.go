package scheduler_test

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

func hostVol(names ...string) map[string]*nomadlike.ClientHostVolumeConfig {
	out := map[string]*nomadlike.ClientHostVolumeConfig{}
	for _, n := range names {
		out[n] = &nomadlike.ClientHostVolumeConfig{Name: n, Path: "/srv/" + n}
	}
	return out
}

// A group with a host volume goes only to the node that has it; a group
// whose volume no node has is not placed and says why.
func TestHostVolumePlacement(t *testing.T) {
	h := schedtest.New(t)
	ns := nodes(3)
	ns[1].HostVolumes = hostVol("data")
	h.AddNodes(ns...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"d": {Name: "d", Type: "host", Source: "data"}}
	stored, _ := run(t, h, job)
	for _, a := range h.LiveAllocs(stored) {
		if a.NodeID != ns[1].ID {
			t.Errorf("alloc %s on %s, want the node with the volume %s", a.Name, a.NodeID, ns[1].ID)
		}
	}

	missing := fixture.Job()
	missing.ID, missing.Name = "missing", "missing"
	missing.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"d": {Name: "d", Type: "host", Source: "nope"}}
	stored, ev := run(t, h, missing)
	if n := len(h.LiveAllocs(stored)); n != 0 {
		t.Fatalf("%d allocs placed, want none", n)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered[feasible.ReasonMissingHostVolumes] != 3 {
		t.Fatalf("failure metric = %+v, want 3 nodes filtered for %q", m, feasible.ReasonMissingHostVolumes)
	}
}

// per_alloc: allocation N claims SOURCE[N] and goes where that volume is.
func TestHostVolumePerAlloc(t *testing.T) {
	h := schedtest.New(t)
	ns := nodes(3)
	ns[0].HostVolumes = hostVol("data[1]")
	ns[2].HostVolumes = hostVol("data[0]")
	h.AddNodes(ns...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 3
	job.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"d": {Name: "d", Type: "host", Source: "data", PerAlloc: true}}
	stored, ev := run(t, h, job)
	want := map[int]string{0: ns[2].ID, 1: ns[0].ID}
	live := h.LiveAllocs(stored)
	if len(live) != 2 {
		t.Fatalf("%d allocs placed, want 2 (no node has data[2])", len(live))
	}
	for _, a := range live {
		if want[a.Index()] != a.NodeID {
			t.Errorf("alloc %s on %s, want %s", a.Name, a.NodeID, want[a.Index()])
		}
	}
	if m := ev.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered[feasible.ReasonMissingHostVolumes] == 0 {
		t.Fatalf("failure metric = %+v, want %q", m, feasible.ReasonMissingHostVolumes)
	}
}
