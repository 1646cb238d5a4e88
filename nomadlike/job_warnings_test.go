package nomadlike_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestJobWarnings(t *testing.T) {
	cases := []struct {
		name   string
		change func(j *nomadlike.Job)
		want   []string
	}{
		{name: "defaults", change: func(*nomadlike.Job) {}},
		{name: "update strategy works (deployments)", change: func(j *nomadlike.Job) {
			j.Update = nomadlike.DefaultUpdateStrategy()
			j.Update.Canary = 1
		}},
		{name: "group fields", change: func(j *nomadlike.Job) {
			d := time.Second
			tg := j.TaskGroups[0]
			tg.ShutdownDelay = &d
			tg.Services = []*nomadlike.Service{{Name: "web"}}
			tg.Volumes = map[string]*nomadlike.VolumeRequest{"v": {Name: "v", Type: "host", Source: "v"}, "c": {Name: "c", Type: "csi", Source: "c"}}
			tg.EphemeralDisk.Sticky = true
			tg.Networks[0].Hostname = "web"
			tg.Networks[0].DynamicPorts[0].HostNetwork = "private"
		}, want: []string{
			"TaskGroups[web].Volumes[c].Type: has no effect in nomadlike",
			"TaskGroups[web].EphemeralDisk.Sticky: has no effect in nomadlike",
			"TaskGroups[web].Networks[0].Hostname: has no effect in nomadlike",
			"TaskGroups[web].Networks[0].Ports[http].HostNetwork: has no effect in nomadlike",
		}},
		{name: "task fields", change: func(j *nomadlike.Job) {
			task := j.TaskGroups[0].Tasks[0]
			task.ShutdownDelay = time.Second
			task.Resources.Cores = 2
			task.Templates = []*nomadlike.Template{{EmbeddedTmpl: "x", DestPath: "local/x", ChangeMode: "signal", ChangeSignal: "SIGHUP", Splay: 5 * time.Second}}
		}, want: []string{
			"TaskGroups[web].Tasks[app].Resources.Cores: has no effect in nomadlike",
		}},
		{name: "checks Nomad does not make", change: func(j *nomadlike.Job) {
			tg := j.TaskGroups[0]
			tg.Networks[0].Mode = "none"
			tg.EphemeralDisk.SizeMB = 10
			tg.Tasks[0].LogConfig = &nomadlike.LogConfig{MaxFiles: 2, MaxFileSizeMB: 10}
			tg.Tasks[0].Artifacts = []*nomadlike.TaskArtifact{
				{GetterSource: "https://example.com/a", RelativeDest: "../alloc/data"},
				{GetterSource: "git::https://example.com/r.git", RelativeDest: "../other/local", GetterOptions: map[string]string{"ref": "v1", "checksum": "md5:00"}},
			}
		}, want: []string{
			`TaskGroups[web].Networks[0].Mode: mode "none" has only a loopback interface: its ports are reserved on the host but nothing forwards them`,
			`TaskGroups[web].Tasks[app].Artifacts[1].RelativeDest: "../other/local" is outside the task directory and the shared alloc directory: the client refuses to fetch into it`,
			`TaskGroups[web].Tasks[app].Artifacts[1].GetterSource: source scheme "git" is not supported: the client fetches http, https and file sources only, and fails the task`,
			`TaskGroups[web].Tasks[app].Artifacts[1].GetterOptions[ref]: option "ref" has no effect in nomadlike: only checksum and archive are read`,
			"TaskGroups[web].EphemeralDisk.SizeMB: 10 MB is less than the 20 MB the tasks' logs may use",
		}},
		{name: "bridge network acts on hostname, dns and to", change: func(j *nomadlike.Job) {
			n := j.TaskGroups[0].Networks[0]
			n.Mode = "bridge"
			n.Hostname = "web"
			n.DNS = &nomadlike.DNSConfig{Servers: []string{"1.1.1.1"}}
			n.DynamicPorts[0].To = 8080
		}},
		{name: "host network ignores hostname, dns and to", change: func(j *nomadlike.Job) {
			n := j.TaskGroups[0].Networks[0]
			n.DNS = &nomadlike.DNSConfig{Servers: []string{"1.1.1.1"}}
			n.DynamicPorts[0].To = 8080
		}, want: []string{
			"TaskGroups[web].Networks[0].DNS: has no effect in nomadlike",
			"TaskGroups[web].Networks[0].Ports[http].To: has no effect in nomadlike",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := fixture.Job()
			tc.change(j)
			var got []string
			for _, w := range j.Warnings() {
				got = append(got, w.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Warnings() =\n%q\nwant\n%q", got, tc.want)
			}
			// Warnings are not errors: the job stays valid.
			if err := j.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}
