package httpapi_test

import (
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// A node's host volumes (issue #17) read through Nomad's API client as
// Node.HostVolumes.
func TestNodeHostVolumesDecodeAsNomad(t *testing.T) {
	fake := httpapitest.NewServer()
	ta := newTestAPI(t, fake)
	node := fixture.Node()
	node.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{
		"data":  {Name: "data", Path: "/srv/data"},
		"certs": {Name: "certs", Path: "/etc/certs", ReadOnly: true},
	}
	if _, err := fake.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertNode(index, node) }); err != nil {
		t.Fatal(err)
	}
	c, err := nomadapi.NewClient(&nomadapi.Config{Address: ta.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := c.Nodes().Info(node.ID, nil)
	if err != nil {
		t.Fatalf("Nodes().Info: %v", err)
	}
	want := map[string]nomadapi.HostVolumeInfo{"data": {Path: "/srv/data"}, "certs": {Path: "/etc/certs", ReadOnly: true}}
	if len(got.HostVolumes) != len(want) {
		t.Fatalf("HostVolumes = %v, want %v", got.HostVolumes, want)
	}
	for name, w := range want {
		if hv := got.HostVolumes[name]; hv == nil || *hv != w {
			t.Errorf("HostVolumes[%q] = %+v, want %+v", name, hv, w)
		}
	}
}
