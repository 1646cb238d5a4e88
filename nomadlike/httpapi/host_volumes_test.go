package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

var _ httpapi.HostVolumeBackend = (*server.Server)(nil)

// reportVolume sends what a client did with a volume, as its agent does
// (PUT /v1/client/host-volume/update with the node's SecretID).
func reportVolume(t *testing.T, c *nomadapi.Client, secret string, v map[string]any) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"Volume": v})
	req, _ := http.NewRequest(http.MethodPut, c.Address()+"/v1/client/host-volume/update", bytes.NewReader(body))
	req.Header.Set("X-Nomad-Token", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHostVolumesWithNomadAPI drives the dynamic host volume routes with
// Nomad's own api package: create (the servers choose the node), list,
// get, the client's ready report, delete refused while an allocation
// claims the volume and accepted after, then gone once the client
// reports the directory removed.
func TestHostVolumesWithNomadAPI(t *testing.T) {
	c, s := aclAgent(t)
	node := fixture.Node()
	if _, _, err := s.RegisterNode(node, ""); err != nil {
		t.Fatal(err)
	}
	resp, _, err := c.HostVolumes().Create(&nomadapi.HostVolumeCreateRequest{Volume: &nomadapi.HostVolume{
		Name: "scratch", PluginID: "mkdir", RequestedCapacityMinBytes: 1 << 20,
		Constraints: []*nomadapi.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}},
		Parameters:  map[string]string{"mode": "0770"},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := resp.Volume
	if v.ID == "" || v.NodeID != node.ID || v.State != nomadapi.HostVolumeStatePending || v.Namespace != "default" || v.NodePool != "default" {
		t.Fatalf("created = %+v", v)
	}
	list, _, err := c.HostVolumes().List(nil, nil)
	if err != nil || len(list) != 1 || list[0].ID != v.ID || list[0].Name != "scratch" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if code := reportVolume(t, c, "not-the-secret", map[string]any{"ID": v.ID, "State": "ready", "HostPath": "/etc"}); code != http.StatusForbidden {
		t.Fatalf("report with a wrong secret = %d, want 403", code)
	}
	if code := reportVolume(t, c, node.SecretID, map[string]any{"ID": v.ID, "State": "ready", "HostPath": "/srv/v/" + v.ID, "CapacityBytes": 1 << 20}); code != http.StatusOK {
		t.Fatalf("ready report = %d", code)
	}
	got, _, err := c.HostVolumes().Get(v.ID, nil)
	if err != nil || got.State != nomadapi.HostVolumeStateReady || got.HostPath != "/srv/v/"+v.ID || got.CapacityBytes != 1<<20 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	n, _ := s.State().NodeByID(nil, node.ID)
	if hv := n.HostVolumes["scratch"]; hv == nil || hv.ID != v.ID || hv.Path != got.HostPath {
		t.Fatalf("node host volumes = %v, want scratch", n.HostVolumes)
	}

	// A running allocation claiming it blocks the delete, named.
	job := fixture.Job()
	job.TaskGroups[0].Volumes = map[string]*nomadlike.VolumeRequest{"data": {Name: "data", Type: "host", Source: "scratch"}}
	alloc := fixture.Alloc(job, n, 0)
	alloc.ClientStatus = nomadlike.AllocClientStatusRunning
	if err := s.State().UpsertAllocs(1<<40, []*nomadlike.Allocation{alloc}); err != nil {
		t.Fatal(err)
	}
	got, _, _ = c.HostVolumes().Get(v.ID, nil)
	if len(got.Allocations) != 1 || got.Allocations[0].ID != alloc.ID {
		t.Errorf("Get claims = %+v, want %s", got.Allocations, alloc.ID)
	}
	_, _, err = c.HostVolumes().Delete(&nomadapi.HostVolumeDeleteRequest{ID: v.ID}, nil)
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), alloc.ID) {
		t.Fatalf("Delete while claimed = %v, want a 409 naming %s", err, alloc.ID)
	}
	done := alloc.Copy()
	done.ClientStatus = nomadlike.AllocClientStatusComplete
	if _, err := s.UpdateAllocsFromClient(node.SecretID, []*nomadlike.Allocation{done}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.HostVolumes().Delete(&nomadapi.HostVolumeDeleteRequest{ID: v.ID}, nil); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	n, _ = s.State().NodeByID(nil, node.ID)
	if n.HostVolumes["scratch"] != nil {
		t.Errorf("node still has the deleted volume: %v", n.HostVolumes)
	}
	if code := reportVolume(t, c, node.SecretID, map[string]any{"ID": v.ID, "State": "deleted"}); code != http.StatusOK {
		t.Fatalf("deleted report = %d", code)
	}
	if _, _, err := c.HostVolumes().Get(v.ID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Get after delete = %v, want 404", err)
	}
}

// TestHostVolumeCreateRefused: a volume no node can take, a name already
// on the node, and bad parameters are refused naming why; nothing is
// recorded.
func TestHostVolumeCreateRefused(t *testing.T) {
	c, s := aclAgent(t)
	node := fixture.Node()
	node.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{"static": {Name: "static", Path: "/srv/static"}}
	if _, _, err := s.RegisterNode(node, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		vol  *nomadapi.HostVolume
		want string
	}{
		{"constraint", &nomadapi.HostVolume{Name: "a", PluginID: "mkdir",
			Constraints: []*nomadapi.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"}}},
			"409 (create host volume \"a\": conflict: no node can take it (1 nodes; filtered by constraint ${attr.kernel.name} = windows: 1)"},
		{"node id", &nomadapi.HostVolume{Name: "a", PluginID: "mkdir", NodeID: "nope"}, "filtered by node ID: 1"},
		{"node pool", &nomadapi.HostVolume{Name: "a", PluginID: "mkdir", NodePool: "gpu"}, "node pool: 1"},
		{"name in use", &nomadapi.HostVolume{Name: "static", PluginID: "mkdir"}, "filtered by host volume name in use: 1"},
		{"plugin", &nomadapi.HostVolume{Name: "a", PluginID: "lvm"}, `400 (Volume.PluginID: unknown plugin "lvm"`},
		{"mode", &nomadapi.HostVolume{Name: "a", PluginID: "mkdir", Parameters: map[string]string{"mode": "4777"}},
			`Volume.Parameters["mode"]: "4777" sets setuid`},
		{"uid", &nomadapi.HostVolume{Name: "a", PluginID: "mkdir", Parameters: map[string]string{"uid": "root"}},
			`Volume.Parameters["uid"]: "root" is not a numeric ID`},
		{"capacity", &nomadapi.HostVolume{Name: "a", PluginID: "mkdir", RequestedCapacityMinBytes: 10, RequestedCapacityMaxBytes: 5},
			"Volume.RequestedCapacityMaxBytes: 5 is less than the minimum 10"},
		{"name", &nomadapi.HostVolume{Name: "a/b", PluginID: "mkdir"}, "Volume.Name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.HostVolumes().Create(&nomadapi.HostVolumeCreateRequest{Volume: tc.vol}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Create = %v, want %q", err, tc.want)
			}
		})
	}
	if list, _, err := c.HostVolumes().List(nil, nil); err != nil || len(list) != 0 {
		t.Errorf("List = %+v, %v; want nothing recorded", list, err)
	}
}
