package containerd

import (
	"slices"
	"strings"
	"testing"
)

func TestEffectiveCaps(t *testing.T) {
	defaults := []string{"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	cases := []struct {
		name   string
		allow  []string
		tc     TaskConfig
		want   []string
		wantIn []string
	}{
		{name: "defaults", want: defaults},
		{name: "allow_caps narrows the defaults", allow: []string{"chown", "NET_ADMIN"}, want: []string{"CAP_CHOWN"}},
		{name: "cap_add", allow: []string{"ALL"}, tc: TaskConfig{CapAdd: []string{"net_admin"}},
			want: append(slices.Clone(defaults[:7]), append([]string{"CAP_NET_ADMIN"}, defaults[7:]...)...)},
		{name: "cap_drop", tc: TaskConfig{CapDrop: []string{"CAP_CHOWN", "kill"}},
			want: slices.DeleteFunc(slices.Clone(defaults), func(c string) bool { return c == "CAP_CHOWN" || c == "CAP_KILL" })},
		{name: "cap_drop ALL", tc: TaskConfig{CapDrop: []string{"all"}}, want: []string{}},
		{name: "cap_drop ALL and cap_add", tc: TaskConfig{CapDrop: []string{"ALL"}, CapAdd: []string{"setuid"}}, want: []string{"CAP_SETUID"}},
		{name: "cap_add ALL", allow: []string{"all"}, tc: TaskConfig{CapAdd: []string{"ALL"}}, wantIn: []string{"CAP_SYS_ADMIN", "CAP_NET_RAW"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc := PluginConfig{AllowCaps: tc.allow}
			got := effectiveCaps(&tc.tc, pc.policy())
			if tc.want != nil && !slices.Equal(got, tc.want) {
				t.Errorf("effectiveCaps() = %v, want %v", got, tc.want)
			}
			for _, c := range tc.wantIn {
				if !slices.Contains(got, c) {
					t.Errorf("effectiveCaps() = %v, want it to hold %s", got, c)
				}
			}
			if len(tc.allow) == 0 && slices.Contains(got, "CAP_NET_RAW") {
				t.Errorf("effectiveCaps() = %v holds NET_RAW by default", got)
			}
		})
	}
}

func TestTaskConfigGates(t *testing.T) {
	const img = `"image": "busybox", `
	open := PluginConfig{AllowPrivileged: true, AllowCaps: []string{"ALL"}, Volumes: VolumesConfig{Enabled: true}}
	cases := []struct {
		name   string
		raw    string
		closed string // error under the default plugin config; "" when allowed
		opened bool   // allowed once the plugin config opens every gate
	}{
		{"relative bind", img + `"mounts": [{"source": "local/data", "target": "/data"}]`, "", true},
		{"dot-dot bind (resolved at start)", img + `"mounts": [{"source": "../alloc", "target": "/data"}]`, "", true},
		{"host bind", img + `"mounts": [{"type": "bind", "source": "/", "target": "/host"}]`, `config.mounts[0].source: host path "/" needs`, true},
		{"tmpfs", img + `"mounts": [{"type": "tmpfs", "target": "/scratch", "options": ["size=1m"]}]`, "", true},
		{"tmpfs with a source", img + `"mounts": [{"type": "tmpfs", "source": "/etc", "target": "/x"}]`, "config.mounts[0].source: must be empty", false},
		{"tmpfs with rbind", img + `"mounts": [{"type": "tmpfs", "target": "/x", "options": ["rbind"]}]`, "config.mounts[0].options[0]", false},
		{"volume mount type", img + `"mounts": [{"type": "volume", "source": "x", "target": "/x"}]`, "config.mounts[0].type", false},
		{"cap_add default", img + `"cap_add": ["chown"]`, "", true},
		{"cap_add SYS_ADMIN", img + `"cap_add": ["SYS_ADMIN"]`, `config.cap_add[0]: capability "SYS_ADMIN" is not in the plugin's allow_caps`, true},
		{"cap_add NET_RAW", img + `"cap_add": ["CAP_NET_RAW"]`, `config.cap_add[0]: capability "CAP_NET_RAW"`, true},
		{"cap_add unknown", img + `"cap_add": ["FLY"]`, `config.cap_add[0]: unknown capability "FLY"`, false},
		{"cap_drop", img + `"cap_drop": ["ALL"]`, "", true},
		{"privileged", img + `"privileged": true`, "config.privileged: not allowed", true},
		{"seccomp off", img + `"seccomp": false`, "config.seccomp", true},
		{"seccomp on", img + `"seccomp": true`, "", true},
		{"host archive", img + `"image_archive": "/srv/images/x.tar"`, `config.image_archive: host path "/srv/images/x.tar"`, true},
		{"archive in image_archive_dirs", img + `"image_archive": "/var/lib/nomadlike/images/busybox.tar"`, "", true},
		{"archive dir lookalike", img + `"image_archive": "/var/lib/nomadlike/images-other/x.tar"`, "config.image_archive", true},
		{"relative archive", img + `"image_archive": "local/x.tar"`, "", true},
		{"extra host", img + `"extra_hosts": ["db:10.0.0.9", "v6:::1"]`, "", true},
		{"extra host adding a line", img + `"extra_hosts": ["db\n1.2.3.4 evil:10.0.0.9"]`, "config.extra_hosts[0]", false},
		{"hostname with a line break", img + `"hostname": "a\nb"`, "config.hostname", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var closed PluginConfig
			closed.setDefaults()
			_, err := ParseTaskConfig([]byte("{"+tc.raw+"}"), closed)
			switch {
			case tc.closed == "" && err != nil:
				t.Errorf("default plugin config: ParseTaskConfig() = %v, want allowed", err)
			case tc.closed != "" && (err == nil || !strings.Contains(err.Error(), tc.closed)):
				t.Errorf("default plugin config: ParseTaskConfig() = %v, want an error containing %q", err, tc.closed)
			}
			if _, err := ParseTaskConfig([]byte("{"+tc.raw+"}"), open); (err == nil) != tc.opened {
				t.Errorf("gates open: ParseTaskConfig() = %v, want allowed %v", err, tc.opened)
			}
		})
	}
}
