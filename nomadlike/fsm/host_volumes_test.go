package fsm

import (
	"bytes"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestHostVolumeApplyAndRestore: the upsert and delete entries (types 100
// and 101) keep the volume and its node's HostVolumes in step, and a
// snapshot restored into a new FSM (a restart, a new leader) has the
// volume, its indexes and the node entry.
func TestHostVolumeApplyAndRestore(t *testing.T) {
	if HostVolumeUpsertRequestType != 100 || HostVolumeDeleteRequestType != 101 ||
		HostVolumeUpsertRequestType.String() != "HostVolumeUpsert" || HostVolumeDeleteRequestType.String() != "HostVolumeDelete" {
		t.Fatal("host volume message types moved")
	}
	src := newFSM(t)
	node := fixture.Node()
	node.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{"static": {Name: "static", Path: "/srv/static"}}
	apply(t, src, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: node})
	v := &nomadlike.HostVolume{ID: nomadlike.GenerateUUID(), Namespace: "default", Name: "scratch", PluginID: "mkdir",
		NodeID: node.ID, NodePool: "default", State: nomadlike.HostVolumeStatePending, Parameters: map[string]string{"mode": "0700"}}
	apply(t, src, 2, HostVolumeUpsertRequestType, &HostVolumeUpsertRequest{Volume: v})
	if n, _ := src.State().NodeByID(nil, node.ID); n.HostVolumes["scratch"] != nil {
		t.Fatal("a pending volume is on the node")
	}
	ready := v.Copy()
	ready.State, ready.HostPath = nomadlike.HostVolumeStateReady, "/srv/hv/"+v.ID
	apply(t, src, 3, HostVolumeUpsertRequestType, &HostVolumeUpsertRequest{Volume: ready})

	snap, err := src.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	snap.Release()
	dst := newFSM(t)
	must(t, dst.Restore(readCloser{bytes.NewReader(sink.Bytes())}))

	for name, f := range map[string]*FSM{"applied": src, "restored": dst} {
		st := f.State()
		got, err := st.HostVolumeByID(nil, v.ID)
		if err != nil || got == nil || got.State != nomadlike.HostVolumeStateReady || got.CreateIndex != 2 || got.ModifyIndex != 3 ||
			got.CreateTime != appendedAt.UnixNano() || got.Parameters["mode"] != "0700" {
			t.Fatalf("%s: volume = %+v, %v", name, got, err)
		}
		byName, _ := st.HostVolumesByName(nil, "default", "scratch")
		byNode, _ := st.HostVolumesByNode(nil, node.ID)
		if len(byName) != 1 || len(byNode) != 1 {
			t.Errorf("%s: by name %d, by node %d, want 1 each", name, len(byName), len(byNode))
		}
		n, _ := st.NodeByID(nil, node.ID)
		if hv := n.HostVolumes["scratch"]; hv == nil || hv.ID != v.ID || hv.Path != ready.HostPath || n.HostVolumes["static"] == nil {
			t.Errorf("%s: node host volumes = %v", name, n.HostVolumes)
		}
	}

	apply(t, dst, 4, HostVolumeDeleteRequestType, &HostVolumeDeleteRequest{ID: v.ID})
	if got, _ := dst.State().HostVolumeByID(nil, v.ID); got != nil {
		t.Errorf("volume after delete = %+v", got)
	}
	if n, _ := dst.State().NodeByID(nil, node.ID); n.HostVolumes["scratch"] != nil || n.HostVolumes["static"] == nil {
		t.Errorf("node host volumes after delete = %v, want the static one only", n.HostVolumes)
	}
}

// TestHostVolumeNeverShadowsStatic: a ready dynamic volume named like a
// static volume of its node leaves the static one in place (the servers
// refuse such a create; this is the state's own guard).
func TestHostVolumeNeverShadowsStatic(t *testing.T) {
	f := newFSM(t)
	node := fixture.Node()
	node.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{"data": {Name: "data", Path: "/srv/data"}}
	apply(t, f, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: node})
	v := &nomadlike.HostVolume{ID: nomadlike.GenerateUUID(), Namespace: "default", Name: "data", PluginID: "mkdir",
		NodeID: node.ID, State: nomadlike.HostVolumeStateReady, HostPath: "/evil"}
	apply(t, f, 2, HostVolumeUpsertRequestType, &HostVolumeUpsertRequest{Volume: v})
	apply(t, f, 3, HostVolumeDeleteRequestType, &HostVolumeDeleteRequest{ID: v.ID})
	if n, _ := f.State().NodeByID(nil, node.ID); n.HostVolumes["data"] == nil || n.HostVolumes["data"].Path != "/srv/data" {
		t.Errorf("node host volumes = %v, want the static one untouched", n.HostVolumes)
	}
}
