package exec

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePluginConfig(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		wantErr string // substring; empty means valid
	}{
		{name: "empty", json: ``},
		{name: "null", json: `null`},
		{name: "defaults", json: `{}`},
		{name: "full", json: `{"chroot_env":{"/bin":"/bin","/etc/passwd":"/etc/passwd"},"default_pid_mode":"host","default_ipc_mode":"private","allow_caps":["CAP_CHOWN","kill"],"no_pivot_root":true,"cgroup_parent":"x/y"}`},
		{name: "unknown field", json: `{"chroot":{}}`, wantErr: "config.chroot: unknown key"},
		{name: "case differs", json: `{"Chroot_Env":{}}`, wantErr: `config.Chroot_Env: unknown key (did you mean "chroot_env"?)`},
		{name: "not an object", json: `[]`, wantErr: "config: must be an object, got a list"},
		{name: "wrong type", json: `{"allow_caps":"all"}`, wantErr: `config.allow_caps: must be a list, got "all"`},
		{name: "dest with dotdot", json: `{"chroot_env":{"/bin":"/../bin"}}`, wantErr: `config.chroot_env["/bin"]: path in chroot "/../bin" must not contain ".."`},
		{name: "dest relative", json: `{"chroot_env":{"/bin":"bin"}}`, wantErr: "must be absolute"},
		{name: "dest root", json: `{"chroot_env":{"/srv":"/"}}`, wantErr: "must not be the root"},
		{name: "dest reserved", json: `{"chroot_env":{"/srv":"/alloc/srv"}}`, wantErr: "reserved for the driver"},
		{name: "dest proc", json: `{"chroot_env":{"/srv":"/proc"}}`, wantErr: "reserved for the driver"},
		{name: "source relative", json: `{"chroot_env":{"bin":"/bin"}}`, wantErr: `config.chroot_env["bin"]: host path must be absolute`},
		{name: "bad pid mode", json: `{"default_pid_mode":"shared"}`, wantErr: "config.default_pid_mode"},
		{name: "bad ipc mode", json: `{"default_ipc_mode":"none"}`, wantErr: "config.default_ipc_mode"},
		{name: "unknown cap", json: `{"allow_caps":["chown","fly"]}`, wantErr: `config.allow_caps[1]: unknown capability "fly"`},
		{name: "cgroup parent escapes", json: `{"cgroup_parent":"../x"}`, wantErr: "config.cgroup_parent"},
		{name: "denylists and pids", json: `{"denied_host_uids":"0,10-15","denied_host_gids":"","pids_limit":0}`},
		{name: "bad uid", json: `{"denied_host_uids":"root"}`, wantErr: `config.denied_host_uids: element 0 "root": "root" is not a uid/gid`},
		{name: "reversed range", json: `{"denied_host_gids":"0,15-10"}`, wantErr: `config.denied_host_gids: element 1 "15-10": range end is below its start`},
		{name: "empty element", json: `{"denied_host_uids":"0,,1"}`, wantErr: `config.denied_host_uids: element 1 "": want an id`},
		{name: "negative id", json: `{"denied_host_uids":"-1"}`, wantErr: `config.denied_host_uids: element 0 "-1"`},
		{name: "uids not a string", json: `{"denied_host_uids":0}`, wantErr: "config.denied_host_uids: must be a string, got 0"},
		{name: "negative pids limit", json: `{"pids_limit":-1}`, wantErr: "config.pids_limit: -1 must be 0 (no limit) or positive"},
		{name: "pids limit not a number", json: `{"pids_limit":"100"}`, wantErr: `config.pids_limit: must be a number, got "100"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePluginConfig([]byte(tc.json))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestDefaultPluginConfig(t *testing.T) {
	s, err := parsePluginConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	netRaw, _ := capByName("net_raw")
	if s.allowCaps.has(netRaw) {
		t.Errorf("default allow_caps has net_raw: %v", s.allowCaps.names())
	}
	if got, want := s.allowCaps.count(), len(defaultAllowCaps); got != want {
		t.Errorf("default allow_caps count = %d, want %d", got, want)
	}
	dests := map[string]bool{}
	for _, e := range s.chrootEnv {
		dests[e.Dest] = true
	}
	for _, want := range []string{"/bin", "/etc", "/lib", "/lib64", "/sbin", "/usr"} {
		if !dests[want] {
			t.Errorf("default chroot_env lacks %s", want)
		}
	}
	if s.defaultPIDMode != modePrivate || s.defaultIPCMode != modePrivate {
		t.Errorf("default modes = %q/%q, want private", s.defaultPIDMode, s.defaultIPCMode)
	}
	if s.cgroupParent != "nomadlike" {
		t.Errorf("default cgroup_parent = %q", s.cgroupParent)
	}
	if !s.deniedUIDs.contains(0) || !s.deniedGIDs.contains(0) || s.deniedUIDs.contains(65534) {
		t.Errorf("default denylists = %q / %q, want root and the root group only", s.deniedUIDs.spec, s.deniedGIDs.spec)
	}
	if s.pidsLimit != defaultPidsLimit {
		t.Errorf("default pids_limit = %d, want %d", s.pidsLimit, defaultPidsLimit)
	}
}

func TestIDRanges(t *testing.T) {
	cases := []struct {
		name    string
		spec    string
		in, out []int
	}{
		{name: "empty allows all", spec: "", out: []int{0, 1, 65534}},
		{name: "root", spec: "0", in: []int{0}, out: []int{1, 65534, -1}},
		{name: "ids and ranges", spec: " 0 , 10-15,100-100", in: []int{0, 10, 12, 15, 100}, out: []int{1, 9, 16, 99, 101}},
		{name: "top of the range", spec: "4294967294-4294967295", in: []int{4294967295}, out: []int{0, 4294967293}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseIDRanges(tc.spec, "test")
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.in {
				if !r.contains(id) {
					t.Errorf("parseIDRanges(%q).contains(%d) = false, want true", tc.spec, id)
				}
			}
			for _, id := range tc.out {
				if r.contains(id) {
					t.Errorf("parseIDRanges(%q).contains(%d) = true, want false", tc.spec, id)
				}
			}
		})
	}
}

func TestParseTaskConfig(t *testing.T) {
	private, err := parsePluginConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	hostOK, err := parsePluginConfig([]byte(`{"default_pid_mode":"host","default_ipc_mode":"host","allow_caps":["chown","net_raw","kill"]}`))
	if err != nil {
		t.Fatal(err)
	}
	unlimited, err := parsePluginConfig([]byte(`{"pids_limit":0}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		plugin   *pluginSettings
		json     string
		wantErr  string
		wantCaps []string // when set, the resulting capability set
		wantAmb  []string
		wantPID  string
		wantPids int64 // when set, the resulting pids limit
	}{
		{name: "minimal", plugin: private, json: `{"command":"/bin/true"}`, wantCaps: defaultAllowCaps, wantAmb: []string{}, wantPID: modePrivate},
		{name: "missing command", plugin: private, json: `{"args":["x"]}`, wantErr: "config.command: required"},
		{name: "blank command", plugin: private, json: `{"command":"  "}`, wantErr: "config.command: required"},
		{name: "empty config", plugin: private, json: ``, wantErr: "config.command: required"},
		{name: "unknown field", plugin: private, json: `{"command":"x","image":"y"}`, wantErr: "config.image: unknown key"},
		{name: "args not a list", plugin: private, json: `{"command":"x","args":"a b"}`, wantErr: `config.args: must be a list, got "a b"`},
		{name: "nul in arg", plugin: private, json: `{"command":"x","args":["a\u0000b"]}`, wantErr: "config.args[0]"},
		{name: "bad pid mode", plugin: private, json: `{"command":"x","pid_mode":"container"}`, wantErr: "config.pid_mode"},
		{name: "host pid not allowed", plugin: private, json: `{"command":"x","pid_mode":"host"}`, wantErr: `config.pid_mode: "host" is not allowed`},
		{name: "host ipc not allowed", plugin: private, json: `{"command":"x","ipc_mode":"host"}`, wantErr: `config.ipc_mode: "host" is not allowed`},
		{name: "host pid allowed", plugin: hostOK, json: `{"command":"x","pid_mode":"host"}`, wantPID: modeHost},
		{name: "private under host default", plugin: hostOK, json: `{"command":"x","pid_mode":"private"}`, wantPID: modePrivate},
		{name: "net_raw not allowed", plugin: private, json: `{"command":"x","cap_add":["net_raw"]}`, wantErr: "config.cap_add: net_raw not allowed"},
		{name: "unknown cap", plugin: private, json: `{"command":"x","cap_drop":["nope"]}`, wantErr: `config.cap_drop[0]: unknown capability "nope"`},
		{name: "drop all add one", plugin: hostOK, json: `{"command":"x","cap_drop":["ALL"],"cap_add":["CAP_NET_RAW"]}`, wantCaps: []string{"net_raw"}, wantAmb: []string{"net_raw"}},
		{name: "drop one", plugin: hostOK, json: `{"command":"x","cap_drop":["kill"]}`, wantCaps: []string{"chown", "net_raw"}, wantAmb: []string{}},
		{name: "pids limit default", plugin: private, json: `{"command":"x"}`, wantPids: defaultPidsLimit},
		{name: "pids limit lowered", plugin: private, json: `{"command":"x","pids_limit":64}`, wantPids: 64},
		{name: "pids limit at the plugin's", plugin: private, json: `{"command":"x","pids_limit":2048}`, wantPids: 2048},
		{name: "pids limit raised", plugin: private, json: `{"command":"x","pids_limit":2049}`, wantErr: "config.pids_limit: 2049 is above the plugin's pids_limit (2048)"},
		{name: "pids limit negative", plugin: private, json: `{"command":"x","pids_limit":-5}`, wantErr: "config.pids_limit: -5 must be positive"},
		{name: "pids limit under an unlimited plugin", plugin: unlimited, json: `{"command":"x","pids_limit":100000}`, wantPids: 100000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := parseTaskConfig([]byte(tc.json), tc.plugin)
			checkErr(t, err, tc.wantErr)
			if err != nil {
				return
			}
			if tc.wantCaps != nil {
				if got, want := strings.Join(ts.caps.names(), ","), strings.Join(sortedCaps(t, tc.wantCaps), ","); got != want {
					t.Errorf("caps = %s, want %s", got, want)
				}
			}
			if tc.wantAmb != nil {
				if got, want := strings.Join(ts.ambient.names(), ","), strings.Join(tc.wantAmb, ","); got != want {
					t.Errorf("ambient = %s, want %s", got, want)
				}
			}
			if tc.wantPID != "" && ts.pidMode != tc.wantPID {
				t.Errorf("pid mode = %s, want %s", ts.pidMode, tc.wantPID)
			}
			if tc.wantPids != 0 && ts.pidsLimit != tc.wantPids {
				t.Errorf("pids limit = %d, want %d", ts.pidsLimit, tc.wantPids)
			}
		})
	}
}

// sortedCaps orders capability names by number, as capSet.names does.
func sortedCaps(t *testing.T, names []string) []string {
	t.Helper()
	s, err := parseCaps(names, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s.names()
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("error = %v, want none", err)
	case want != "" && err == nil:
		t.Fatalf("error = nil, want %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error = %q, want it to contain %q", err, want)
	case want != "" && !errors.Is(err, ErrInvalidConfig) && !errors.Is(err, ErrPathEscape):
		t.Fatalf("error %q wraps neither ErrInvalidConfig nor ErrPathEscape", err)
	}
}

func TestLimitsFor(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		name                 string
		memMB, maxMB, shares int64
		want                 cgroupLimits
	}{
		{name: "none", want: cgroupLimits{}},
		{name: "memory only", memMB: 64, want: cgroupLimits{memoryMax: 64 * mb}},
		{name: "memory max", memMB: 64, maxMB: 256, want: cgroupLimits{memoryMax: 256 * mb, memorySoft: 64 * mb}},
		{name: "max below memory", memMB: 64, maxMB: 32, want: cgroupLimits{memoryMax: 64 * mb}},
		{name: "shares", shares: 500, want: cgroupLimits{cpuShares: 500}},
		{name: "tiny shares", shares: 1, want: cgroupLimits{cpuShares: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := limitsFor(tc.memMB, tc.maxMB, tc.shares); got != tc.want {
				t.Errorf("limitsFor(%d, %d, %d) = %+v, want %+v", tc.memMB, tc.maxMB, tc.shares, got, tc.want)
			}
		})
	}
}

func TestSharesToWeight(t *testing.T) {
	cases := []struct {
		shares, want uint64
	}{{0, 0}, {2, 1}, {1024, 39}, {262144, 10000}, {1 << 30, 10000}}
	for _, tc := range cases {
		if got := sharesToWeight(tc.shares); got != tc.want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", tc.shares, got, tc.want)
		}
	}
}

func TestCgroupRel(t *testing.T) {
	cases := []struct{ parent, id, want string }{
		{"nomadlike", "abc/web/0", "/nomadlike/abc.web.0"},
		{"a/b", "..", "/a/b/task"},
		{"nomadlike", "../../x", "/nomadlike/......x"},
	}
	for _, tc := range cases {
		if got := cgroupRel(tc.parent, tc.id); got != tc.want {
			t.Errorf("cgroupRel(%q, %q) = %q, want %q", tc.parent, tc.id, got, tc.want)
		}
	}
}
