package allocrunner

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestTaskMounts(t *testing.T) {
	node := fixture.Node()
	node.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{
		"data":     {Name: "data", Path: "/srv/data"},
		"certs":    {Name: "certs", Path: "/etc/certs", ReadOnly: true},
		"shard[2]": {Name: "shard[2]", Path: "/srv/shard2"},
	}
	cases := []struct {
		name    string
		req     nomadlike.VolumeRequest
		mount   nomadlike.VolumeMount
		want    []drivers.MountConfig
		wantErr bool
	}{
		{"writable", nomadlike.VolumeRequest{Type: "host", Source: "data"}, nomadlike.VolumeMount{Volume: "v", Destination: "/data"},
			[]drivers.MountConfig{{TaskPath: "/data", HostPath: "/srv/data", Volume: "v"}}, false},
		{"mount read-only", nomadlike.VolumeRequest{Type: "host", Source: "data"}, nomadlike.VolumeMount{Volume: "v", Destination: "data", ReadOnly: true},
			[]drivers.MountConfig{{TaskPath: "/data", HostPath: "/srv/data", ReadOnly: true, Volume: "v"}}, false},
		{"request read-only", nomadlike.VolumeRequest{Type: "host", Source: "data", ReadOnly: true}, nomadlike.VolumeMount{Volume: "v", Destination: "/data"},
			[]drivers.MountConfig{{TaskPath: "/data", HostPath: "/srv/data", ReadOnly: true, Volume: "v"}}, false},
		{"volume read-only", nomadlike.VolumeRequest{Type: "host", Source: "certs", ReadOnly: true}, nomadlike.VolumeMount{Volume: "v", Destination: "/certs"},
			[]drivers.MountConfig{{TaskPath: "/certs", HostPath: "/etc/certs", ReadOnly: true, Volume: "v"}}, false},
		{"per_alloc", nomadlike.VolumeRequest{Type: "host", Source: "shard", PerAlloc: true}, nomadlike.VolumeMount{Volume: "v", Destination: "/s"},
			[]drivers.MountConfig{{TaskPath: "/s", HostPath: "/srv/shard2", Volume: "v"}}, false},
		{"writable request on read-only volume", nomadlike.VolumeRequest{Type: "host", Source: "certs"}, nomadlike.VolumeMount{Volume: "v", Destination: "/c"}, nil, true},
		{"missing on node", nomadlike.VolumeRequest{Type: "host", Source: "nope"}, nomadlike.VolumeMount{Volume: "v", Destination: "/d"}, nil, true},
		{"csi", nomadlike.VolumeRequest{Type: "csi", Source: "data"}, nomadlike.VolumeMount{Volume: "v", Destination: "/d"}, nil, true},
		{"unknown group volume", nomadlike.VolumeRequest{Type: "host", Source: "data"}, nomadlike.VolumeMount{Volume: "other", Destination: "/d"}, nil, true},
		{"destination escapes", nomadlike.VolumeRequest{Type: "host", Source: "data"}, nomadlike.VolumeMount{Volume: "v", Destination: "/../etc"}, nil, true},
		{"destination root", nomadlike.VolumeRequest{Type: "host", Source: "data"}, nomadlike.VolumeMount{Volume: "v", Destination: "/"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := fixture.Job()
			tg := job.TaskGroups[0]
			req, vm := tc.req, tc.mount
			tg.Volumes = map[string]*nomadlike.VolumeRequest{"v": &req}
			task := tg.Tasks[0]
			task.VolumeMounts = []*nomadlike.VolumeMount{&vm}
			alloc := &nomadlike.Allocation{Name: job.ID + "." + tg.Name + "[2]", Job: job, TaskGroup: tg.Name}
			got, err := taskMounts(node, alloc, task)
			if tc.wantErr {
				if !errors.Is(err, ErrVolumeMount) {
					t.Fatalf("taskMounts error = %v, want ErrVolumeMount", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("taskMounts = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestCheckMountSupport(t *testing.T) {
	m := []drivers.MountConfig{{TaskPath: "/d", HostPath: "/srv"}}
	for caps, ok := range map[string]bool{drivers.MountConfigSupportAll: true, drivers.MountConfigSupportHostPath: true, drivers.MountConfigSupportNone: false, "": false} {
		err := checkMountSupport(drivers.Info{Name: "x", Capabilities: drivers.Capabilities{MountConfigs: caps}}, m)
		if (err == nil) != ok {
			t.Errorf("MountConfigs %q: err = %v, want ok %v", caps, err, ok)
		}
	}
	if err := checkMountSupport(drivers.Info{Name: "x"}, nil); err != nil {
		t.Errorf("no mounts on a driver without support: %v", err)
	}
}
