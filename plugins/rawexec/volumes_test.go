package rawexec

import (
	"reflect"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
)

func TestVolumeEnv(t *testing.T) {
	env := map[string]string{"PATH": "/bin"}
	got := withVolumeEnv(env, []drivers.MountConfig{
		{TaskPath: "/data", HostPath: "/srv/data", Volume: "data"},
		{TaskPath: "/c", HostPath: "/etc/certs", ReadOnly: true, Volume: "tls-certs"},
	})
	want := map[string]string{"PATH": "/bin", "NOMAD_HOST_VOLUME_data": "/srv/data", "NOMAD_HOST_VOLUME_tls_certs": "/etc/certs"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("env = %v, want %v", got, want)
	}
	if len(env) != 1 {
		t.Fatalf("the task's env map was changed: %v", env)
	}
	cmd, err := command(&drivers.TaskConfig{Env: env, Mounts: []drivers.MountConfig{{HostPath: "/srv/data", Volume: "data"}}}, "/bin/true", nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, kv := range cmd.Env {
		found = found || kv == "NOMAD_HOST_VOLUME_data=/srv/data"
	}
	if !found {
		t.Fatalf("command env %v lacks the volume's host path", cmd.Env)
	}
}
