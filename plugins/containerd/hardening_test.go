package containerd_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
	ctrd "github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
)

// The attacks of issue #10 item 3, performed against a real containerd: a
// job that binds the host's root and adds CAP_SYS_ADMIN, symlinks a task
// plants in its own directory, a tmpfs carrying bind options, and the
// capabilities a container gets without asking.

// hostRootAttack is the reported job: the host's / at /host and SYS_ADMIN,
// reading /etc/shadow.
func hostRootAttack() map[string]any {
	return map[string]any{
		"command": "sh",
		"args":    []string{"-c", "head -c 1 /host/etc/shadow >/dev/null && echo read-host-shadow; grep CapEff /proc/self/status"},
		"mounts":  []map[string]any{{"type": "bind", "source": "/", "target": "/host", "options": []string{"ro"}}},
		"cap_add": []string{"SYS_ADMIN"},
	}
}

func TestContainerdHardening(t *testing.T) {
	e := &env{daemon: ctrdtest.Start(t, testNamespace), dataDir: t.TempDir()}
	e.archive = ctrdtest.BusyboxArchive(t, t.TempDir(), testImage)

	t.Run("host root bind with SYS_ADMIN is refused before anything starts", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "attack", hostRootAttack())
		wants := []string{
			`config.cap_add[0]: capability "SYS_ADMIN" is not in the plugin's allow_caps`,
			`config.mounts[0].source: host path "/" needs plugin "containerd" { config { volumes { enabled = true } } }`,
		}
		err := d.ValidateTaskConfig(cfg.Config)
		for _, want := range wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ValidateTaskConfig() = %v, want an error containing %q", err, want)
			}
		}
		_, err = d.StartTask(cfg)
		for _, want := range wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("StartTask() = %v, want an error containing %q", err, want)
			}
		}
		if err == nil {
			defer destroy(t, d, cfg.ID)
		}
		if ids := e.containers(t, cfg.AllocID); len(ids) != 0 {
			t.Errorf("containers created for a refused config: %v", ids)
		}
	})

	t.Run("the same job runs once the plugin config opens both gates", func(t *testing.T) {
		d := e.driver(t, map[string]any{
			"volumes":    map[string]any{"enabled": true},
			"allow_caps": append(append([]string(nil), ctrd.DefaultAllowCaps...), "sys_admin"),
		})
		cfg := e.task(t, "allowed", hostRootAttack())
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatalf("StartTask with volumes enabled and SYS_ADMIN allowed: %v", err)
		}
		defer destroy(t, d, cfg.ID)
		if res := wait(t, d, cfg.ID); !res.Successful() {
			t.Fatalf("exit = %+v, want success; stderr %q", res, readLog(t, cfg, "stderr"))
		}
		out := readLog(t, cfg, "stdout")
		if !strings.Contains(out, "read-host-shadow") {
			t.Errorf("stdout = %q, want the host file read", out)
		}
		if eff := capMask(t, out, "CapEff"); eff&(1<<unix.CAP_SYS_ADMIN) == 0 {
			t.Errorf("CapEff = %x, want SYS_ADMIN added", eff)
		}
	})

	t.Run("relative bind sources stay in the allocation directory", func(t *testing.T) {
		d := e.driver(t, nil)
		// The task plants the links itself, from inside its container, as
		// a job could before a restart.
		plant := e.task(t, "planter", map[string]any{"command": "sh", "args": []string{"-c",
			"ln -s / /local/root && ln -s ../../../../../../.. /local/up && mkdir /local/data && echo ok"}})
		if _, err := d.StartTask(plant); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, d, plant.ID); !res.Successful() {
			t.Fatalf("planting task exit = %+v, stderr %q", res, readLog(t, plant, "stderr"))
		}
		destroy(t, d, plant.ID)

		cases := []struct{ name, source string }{
			{"absolute symlink to /", "local/root"},
			{"relative symlink climbing out", "local/up"},
			{"dot-dot", "../../../../../../.."},
			{"dot-dot through the symlink", "local/root/etc"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cfg := e.task(t, fmt.Sprintf("escape%d", i), map[string]any{"command": "cat", "args": []string{"/host/etc/shadow"},
					"mounts": []map[string]any{{"type": "bind", "source": tc.source, "target": "/host"}}})
				cfg.AllocDir, cfg.TaskDir = plant.AllocDir, plant.TaskDir
				cfg.Logs = plant.Logs
				_, err := d.StartTask(cfg)
				if err == nil {
					destroy(t, d, cfg.ID)
				}
				if !errors.Is(err, ctrd.ErrPathEscapes) || !strings.Contains(err.Error(), "config.mounts[0].source") {
					t.Fatalf("StartTask() = %v, want ErrPathEscapes naming config.mounts[0].source", err)
				}
				if ids := e.containers(t, cfg.AllocID); len(ids) != 0 {
					t.Errorf("containers created for a refused config: %v", ids)
				}
			})
		}

		t.Run("a directory of the task binds", func(t *testing.T) {
			cfg := e.task(t, "binder", map[string]any{"command": "sh", "args": []string{"-c", "echo from-container > /data/f"},
				"mounts": []map[string]any{{"type": "bind", "source": "local/data", "target": "/data"}}})
			cfg.AllocDir, cfg.TaskDir, cfg.Logs = plant.AllocDir, plant.TaskDir, plant.Logs
			if _, err := d.StartTask(cfg); err != nil {
				t.Fatal(err)
			}
			defer destroy(t, d, cfg.ID)
			// The staged source is unmounted once the container exists.
			if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), e.dataDir) {
				t.Errorf("mounts left under the driver's data dir %s:\n%s", e.dataDir, b)
			}
			if ents, _ := os.ReadDir(filepath.Join(e.dataDir, "stage")); len(ents) != 0 {
				t.Errorf("stage directory not cleared: %v", ents)
			}
			if res := wait(t, d, cfg.ID); !res.Successful() {
				t.Fatalf("exit = %+v", res)
			}
			if b, err := os.ReadFile(filepath.Join(plant.TaskDir.LocalDir, "data", "f")); err != nil || string(b) != "from-container\n" {
				t.Errorf("file written through the bind = %q, %v", b, err)
			}
		})
	})

	t.Run("the hosts file is never written through a planted symlink", func(t *testing.T) {
		d := e.driver(t, nil)
		victim := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(victim, []byte("host file\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		// The task binds its own task directory (a relative source, always
		// allowed) and plants a symlink where the driver writes /etc/hosts.
		plant := e.task(t, "hosts", map[string]any{"command": "ln", "args": []string{"-s", victim, "/t/hosts"},
			"mounts": []map[string]any{{"source": ".", "target": "/t"}}})
		if _, err := d.StartTask(plant); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, d, plant.ID); !res.Successful() {
			t.Fatalf("planting task exit = %+v, stderr %q", res, readLog(t, plant, "stderr"))
		}
		destroy(t, d, plant.ID)
		if fi, err := os.Lstat(filepath.Join(plant.TaskDir.Dir, "hosts")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("planted link: %v, %v", fi, err)
		}

		cfg := e.task(t, "hosts2", map[string]any{"command": "cat", "args": []string{"/etc/hosts"}, "extra_hosts": []string{"db:10.0.0.9"}})
		cfg.AllocDir, cfg.TaskDir, cfg.Logs = plant.AllocDir, plant.TaskDir, plant.Logs
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, d, cfg.ID)
		wait(t, d, cfg.ID)
		if b, _ := os.ReadFile(victim); string(b) != "host file\n" {
			t.Errorf("host file written through the planted link: %q", b)
		}
		if out := readLog(t, cfg, "stdout"); !strings.Contains(out, "10.0.0.9\tdb") {
			t.Errorf("container /etc/hosts = %q, want the extra host", out)
		}
	})

	t.Run("a tmpfs cannot carry a bind of a host path", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "tmpfs", map[string]any{"command": "cat", "args": []string{"/host/etc/shadow"},
			"mounts": []map[string]any{{"type": "tmpfs", "source": "/", "target": "/host", "options": []string{"rbind"}}}})
		_, err := d.StartTask(cfg)
		if err == nil {
			destroy(t, d, cfg.ID)
		}
		for _, want := range []string{"config.mounts[0].source", "config.mounts[0].options[0]"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("StartTask() = %v, want an error naming %s", err, want)
			}
		}
	})

	t.Run("image_archive cannot be a planted symlink or a host path", func(t *testing.T) {
		d := e.driver(t, nil)
		const ref = "docker.io/library/busybox:planted"
		hostArchive := ctrdtest.BusyboxArchive(t, t.TempDir(), ref)
		cfg := e.task(t, "archive", map[string]any{"image": ref, "image_archive": "local/img.tar", "command": "true"})
		if err := os.Symlink(hostArchive, filepath.Join(cfg.TaskDir.LocalDir, "img.tar")); err != nil {
			t.Fatal(err)
		}
		_, err := d.StartTask(cfg)
		if err == nil {
			destroy(t, d, cfg.ID)
		}
		if !errors.Is(err, ctrd.ErrPathEscapes) || !errors.Is(err, ctrd.ErrImageUnavailable) {
			t.Errorf("StartTask(planted symlink archive) = %v, want ErrImageUnavailable and ErrPathEscapes", err)
		}
		cfg = e.task(t, "archive-abs", map[string]any{"image": ref, "image_archive": hostArchive, "command": "true"})
		_, err = d.StartTask(cfg)
		if err == nil {
			destroy(t, d, cfg.ID)
		}
		if err == nil || !strings.Contains(err.Error(), "config.image_archive: host path") {
			t.Errorf("StartTask(host archive) = %v, want config.image_archive refused", err)
		}
	})

	t.Run("capabilities", func(t *testing.T) {
		probe := `grep -E '^(CapBnd|CapEff|Seccomp):' /proc/self/status; ` +
			`hostname changed 2>/dev/null; echo hostname=$?; ` +
			`ping -c 1 -W 1 127.0.0.1 >/dev/null 2>/tmp/ping.err; cat /tmp/ping.err; ` +
			`touch /tmp/f && chown 1 /tmp/f 2>/dev/null; echo chown=$?`
		defaults := capsMask(ctrd.DefaultAllowCaps...)
		cases := []struct {
			name       string
			plugin     map[string]any
			cfg        map[string]any
			want       uint64
			wantOut    []string
			wantNotOut []string
		}{
			{name: "default set is Nomads without NET_RAW", cfg: map[string]any{}, want: defaults,
				wantOut:    []string{"hostname=1", "chown=0", "Seccomp:\t2", "ermission denied"},
				wantNotOut: []string{"unreachable"}},
			{name: "allow_caps narrows the default set", plugin: map[string]any{"allow_caps": []string{"kill", "setuid", "setgid"}},
				cfg: map[string]any{}, want: capsMask("KILL", "SETUID", "SETGID"), wantOut: []string{"chown=1"}},
			{name: "cap_add of an allowed capability", plugin: map[string]any{"allow_caps": []string{"ALL"}},
				cfg: map[string]any{"cap_add": []string{"net_raw", "CAP_SYS_ADMIN"}}, want: defaults | capsMask("NET_RAW", "SYS_ADMIN"),
				wantOut: []string{"hostname=0"}, wantNotOut: []string{"ermission denied"}},
			{name: "cap_drop", cfg: map[string]any{"cap_drop": []string{"CHOWN"}}, want: defaults &^ capsMask("CHOWN"),
				wantOut: []string{"chown=1"}},
			{name: "cap_drop ALL", cfg: map[string]any{"cap_drop": []string{"ALL"}}, want: 0},
			{name: "cap_drop ALL then cap_add", cfg: map[string]any{"cap_drop": []string{"all"}, "cap_add": []string{"chown"}},
				want: capsMask("CHOWN"), wantOut: []string{"chown=0"}},
			{name: "seccomp off with allow_privileged", plugin: map[string]any{"allow_privileged": true},
				cfg: map[string]any{"seccomp": false}, want: defaults, wantOut: []string{"Seccomp:\t0"}},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				d := e.driver(t, tc.plugin)
				tc.cfg["command"], tc.cfg["args"] = "sh", []string{"-c", probe}
				cfg := e.task(t, fmt.Sprintf("caps%d", i), tc.cfg)
				if _, err := d.StartTask(cfg); err != nil {
					t.Fatal(err)
				}
				defer destroy(t, d, cfg.ID)
				wait(t, d, cfg.ID)
				out := readLog(t, cfg, "stdout")
				for _, field := range []string{"CapBnd", "CapEff"} {
					if got := capMask(t, out, field); got != tc.want {
						t.Errorf("%s = %x, want %x (%s)", field, got, tc.want, out)
					}
				}
				for _, w := range tc.wantOut {
					if !strings.Contains(out, w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
				for _, w := range tc.wantNotOut {
					if strings.Contains(out, w) {
						t.Errorf("output has %q:\n%s", w, out)
					}
				}
			})
		}
	})

	t.Run("widening fields are refused by default", func(t *testing.T) {
		d := e.driver(t, nil)
		cases := []struct {
			name  string
			cfg   map[string]any
			field string
		}{
			{"privileged", map[string]any{"privileged": true}, "config.privileged: not allowed"},
			{"seccomp off", map[string]any{"seccomp": false}, "config.seccomp"},
			{"cap_add ALL", map[string]any{"cap_add": []string{"ALL"}}, "config.cap_add[0]"},
			{"cap_add NET_RAW", map[string]any{"cap_add": []string{"net_raw"}}, `config.cap_add[0]: capability "net_raw" is not in the plugin's allow_caps`},
			{"absolute bind", map[string]any{"mounts": []map[string]any{{"source": "/etc", "target": "/x"}}}, "config.mounts[0].source: host path"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.cfg["command"] = "true"
				cfg := e.task(t, "widen", tc.cfg)
				if err := d.ValidateTaskConfig(cfg.Config); err == nil || !strings.Contains(err.Error(), tc.field) {
					t.Errorf("ValidateTaskConfig() = %v, want an error containing %q", err, tc.field)
				}
			})
		}
	})

	t.Run("bad plugin config names the field", func(t *testing.T) {
		for _, tc := range []struct {
			cfg   string
			field string
		}{
			{`{"allow_caps": ["CAP_NOPE"]}`, "config.allow_caps[0]"},
			{`{"volumes": {"enabled": "yes"}}`, "config.volumes.enabled"},
			{`{"volumes": {"enabeld": true}}`, "config.volumes.enabeld"},
			{`{"image_archive_dirs": ["images"]}`, "config.image_archive_dirs[0]"},
		} {
			err := ctrd.New(nil).SetConfig(&drivers.PluginConfig{Config: []byte(tc.cfg)})
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("SetConfig(%s) = %v, want an error naming %s", tc.cfg, err, tc.field)
			}
		}
	})
}

// containers lists the daemon's containers of an allocation.
func (e *env) containers(t *testing.T, allocID string) []string {
	t.Helper()
	return e.daemon.Containers(t, testNamespace, allocID)
}

var capBits = map[string]uint{
	"CHOWN": unix.CAP_CHOWN, "DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "FOWNER": unix.CAP_FOWNER,
	"FSETID": unix.CAP_FSETID, "KILL": unix.CAP_KILL, "SETGID": unix.CAP_SETGID, "SETUID": unix.CAP_SETUID,
	"SETPCAP": unix.CAP_SETPCAP, "NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "NET_RAW": unix.CAP_NET_RAW,
	"SYS_CHROOT": unix.CAP_SYS_CHROOT, "SYS_ADMIN": unix.CAP_SYS_ADMIN, "MKNOD": unix.CAP_MKNOD,
	"AUDIT_WRITE": unix.CAP_AUDIT_WRITE, "SETFCAP": unix.CAP_SETFCAP,
}

func capsMask(names ...string) uint64 {
	var m uint64
	for _, n := range names {
		b, ok := capBits[n]
		if !ok {
			panic("capsMask: no bit for " + n)
		}
		m |= 1 << b
	}
	return m
}

// capMask parses "field:\t<hex>" from /proc/self/status output.
func capMask(t *testing.T, out, field string) uint64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("parse %s %q: %v", field, v, err)
			}
			return m
		}
	}
	t.Fatalf("no %s in output %q", field, out)
	return 0
}
