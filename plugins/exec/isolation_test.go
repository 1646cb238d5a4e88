package exec

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const busybox = "/bin/busybox"

// sh runs a busybox shell script as the task.
func sh(script string) (string, []string) {
	return busybox, []string{"sh", "-c", script}
}

func TestPIDNamespace(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	cmd, args := sh(`echo "self=$$"; for p in /proc/[0-9]*; do echo "pid=${p#/proc/}"; done; echo "cmd1=$(cat /proc/1/cmdline | tr '\0' ' ')"`)
	cfg := newTaskConfig(t, "pidns", "", cmd, args...)
	res, out := runTask(t, d, cfg)
	if !res.Successful() {
		t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
	}
	if !strings.Contains(out, "self=1\n") {
		t.Errorf("the task's shell is not PID 1 of its namespace:\n%s", out)
	}
	var pids []int
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "pid="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("bad pid line %q", line)
			}
			pids = append(pids, n)
		}
	}
	// The shell (1), and at most the short-lived children of the loop.
	if len(pids) == 0 || len(pids) > 3 || pids[0] != 1 {
		t.Errorf("the task sees PIDs %v, want only its own (1 and its children)", pids)
	}
	for _, p := range pids {
		if p == os.Getpid() || p == os.Getppid() {
			t.Errorf("the task sees host PID %d (the test process or its parent)", p)
		}
	}
	if !strings.Contains(out, "cmd1="+busybox+" sh -c ") {
		t.Errorf("PID 1 is not the task's own command:\n%s", out)
	}
}

func TestChrootConfinement(t *testing.T) {
	requireRoot(t)
	// A marker on the host, outside every chroot_env path.
	secretDir := t.TempDir()
	marker := filepath.Join(secretDir, "marker")
	if err := os.WriteFile(marker, []byte("host-secret-42"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secretDir, 0o755); err != nil {
		t.Fatal(err)
	}
	minimal := map[string]any{"chroot_env": map[string]string{"/usr": "/usr", "/bin": "/bin", "/lib": "/lib", "/lib64": "/lib64"}}

	cases := []struct {
		name     string
		plugin   map[string]any
		user     string
		script   string
		wantExit int
		notInOut string // must not appear in stdout
		inOut    string // must appear in stdout
	}{
		{name: "host marker unreadable as root", user: "root", script: "cat " + marker, wantExit: 1, notInOut: "host-secret-42"},
		{name: "host marker absent from listing", user: "root", script: "ls " + filepath.Dir(secretDir) + " || echo gone", inOut: "gone"},
		{name: "shadow unreadable as nobody", script: "cat /etc/shadow", wantExit: 1, notInOut: "root:"},
		{name: "unmounted etc absent", plugin: minimal, user: "root", script: "cat /etc/passwd", wantExit: 1, notInOut: "root:"},
		{name: "chroot_env read-only", user: "root", script: "touch /usr/nomadlike-exec-test", wantExit: 1},
		{name: "cannot remount writable", user: "root", script: "mount -o remount,rw /usr", wantExit: 1},
		{name: "host root not reachable via proc", user: "root", script: "ls /proc/1/root/" + filepath.Base(filepath.Dir(secretDir)) + " || echo gone", inOut: "gone"},
		{name: "task dirs visible", script: "echo a > /alloc/a && echo l > /local/l && echo s > /secrets/s && test -d /tmp && test -c /dev/null && echo ok", inOut: "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plugin := tc.plugin
			if tc.user == "root" {
				plugin = allowRoot(plugin)
			}
			d := newTestDriver(t, plugin)
			cmd, args := sh(tc.script)
			cfg := newTaskConfig(t, "chroot", tc.user, cmd, args...)
			res, out := runTask(t, d, cfg)
			if res.ExitCode != tc.wantExit {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", res.ExitCode, tc.wantExit, out, readLog(t, cfg, "stderr"))
			}
			if tc.notInOut != "" && strings.Contains(out, tc.notInOut) {
				t.Errorf("stdout %q contains %q", out, tc.notInOut)
			}
			if tc.inOut != "" && !strings.Contains(out, tc.inOut) {
				t.Errorf("stdout %q lacks %q", out, tc.inOut)
			}
		})
	}
	if _, err := os.Stat("/usr/nomadlike-exec-test"); err == nil {
		_ = os.Remove("/usr/nomadlike-exec-test")
		t.Error("a task wrote into the host's /usr")
	}
}

func TestTaskDirsOnHost(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	cmd, args := sh(`echo shared > /alloc/shared.txt; echo local > /local/local.txt; echo secret > /secrets/s.txt; echo "$NOMAD_TASK_NAME"; hostname`)
	cfg := newTaskConfig(t, "dirs", "", cmd, args...)
	res, out := runTask(t, d, cfg)
	if !res.Successful() {
		t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
	}
	files := map[string]string{
		filepath.Join(cfg.TaskDir.SharedDir, "shared.txt"): "shared\n",
		filepath.Join(cfg.TaskDir.LocalDir, "local.txt"):   "local\n",
		filepath.Join(cfg.TaskDir.SecretsDir, "s.txt"):     "secret\n",
	}
	for p, want := range files {
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("host file %s = %q, %v; want %q", p, b, err, want)
		}
	}
	if want := "dirs\n" + cfg.AllocID[:8] + "\n"; out != want {
		t.Errorf("stdout = %q, want %q (env and hostname)", out, want)
	}
}

// capMask reads a capability mask line ("CapEff:\t...") from /proc status.
func capMask(t *testing.T, out, key string) capSet {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("parse %q: %v", line, err)
			}
			return capSet(n)
		}
	}
	t.Fatalf("no %s in %q", key, out)
	return 0
}

func TestCapabilities(t *testing.T) {
	requireRoot(t)
	netRaw, _ := capByName("net_raw")
	sysAdmin, _ := capByName("sys_admin")
	defaults, err := parseCaps(defaultAllowCaps, "test")
	if err != nil {
		t.Fatal(err)
	}
	withRaw := map[string]any{"allow_caps": append(append([]string{}, defaultAllowCaps...), "net_raw")}
	cases := []struct {
		name    string
		plugin  map[string]any
		user    string
		task    map[string]any // cap_add / cap_drop
		wantEff capSet
		wantBnd capSet
		wantAmb capSet
	}{
		{name: "root default", user: "root", wantEff: defaults, wantBnd: defaults},
		{name: "nobody default", wantEff: 0, wantBnd: defaults},
		{name: "root drop all", user: "root", task: map[string]any{"cap_drop": []string{"all"}}, wantEff: 0, wantBnd: 0},
		{name: "root add allowed net_raw", plugin: withRaw, user: "root", task: map[string]any{"cap_add": []string{"net_raw"}}, wantEff: defaults | 1<<netRaw, wantBnd: defaults | 1<<netRaw},
		{name: "nobody ambient net_raw", plugin: withRaw, task: map[string]any{"cap_add": []string{"net_raw"}}, wantEff: 1 << netRaw, wantBnd: defaults | 1<<netRaw, wantAmb: 1 << netRaw},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plugin := tc.plugin
			if tc.user == "root" {
				plugin = allowRoot(plugin)
			}
			d := newTestDriver(t, plugin)
			cfg := newTaskConfig(t, "caps", tc.user, busybox, "cat", "/proc/self/status")
			task := map[string]any{"command": busybox, "args": []string{"cat", "/proc/self/status"}}
			for k, v := range tc.task {
				task[k] = v
			}
			setTaskConfig(t, cfg, task)
			res, out := runTask(t, d, cfg)
			if !res.Successful() {
				t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
			}
			eff, bnd, amb := capMask(t, out, "CapEff"), capMask(t, out, "CapBnd"), capMask(t, out, "CapAmb")
			if eff != tc.wantEff || bnd != tc.wantBnd || amb != tc.wantAmb {
				t.Errorf("CapEff/CapBnd/CapAmb = %v / %v / %v, want %v / %v / %v",
					eff.names(), bnd.names(), amb.names(), tc.wantEff.names(), tc.wantBnd.names(), tc.wantAmb.names())
			}
			if tc.plugin == nil && (eff.has(netRaw) || bnd.has(netRaw)) {
				t.Errorf("NET_RAW present by default: eff %v bnd %v", eff.names(), bnd.names())
			}
			if eff.has(sysAdmin) || bnd.has(sysAdmin) {
				t.Errorf("SYS_ADMIN present: eff %v bnd %v", eff.names(), bnd.names())
			}
		})
	}
}

func TestUser(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		user    string
		want    string
		wantErr string
	}{
		{name: "default is nobody", user: "", want: "65534:65534"},
		{name: "nobody", user: "nobody", want: "65534:65534"},
		{name: "root", user: "root", want: "0:0"},
		{name: "unknown", user: "no-such-user-xyz", wantErr: `user: "no-such-user-xyz"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, allowRoot(nil))
			cmd, args := sh(`echo "$(id -u):$(id -g)"`)
			cfg := newTaskConfig(t, "user", tc.user, cmd, args...)
			if tc.wantErr != "" {
				_, err := d.StartTask(cfg)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("StartTask() = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			res, out := runTask(t, d, cfg)
			if !res.Successful() || strings.TrimSpace(out) != tc.want {
				t.Errorf("result %+v, uid:gid = %q, want %q", res, out, tc.want)
			}
		})
	}
}

func TestSymlinkEscapes(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		plant   func(t *testing.T, taskDir, outside string)
		wantErr error
	}{
		{
			name: "mount point is a symlink out of the task dir",
			plant: func(t *testing.T, taskDir, outside string) {
				if err := os.Symlink(outside, filepath.Join(taskDir, "etc")); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrStartFailed,
		},
		{
			name: "local dir is a symlink",
			plant: func(t *testing.T, taskDir, outside string) {
				local := filepath.Join(taskDir, "local")
				if err := os.Remove(local); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(outside, local); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrPathEscape,
		},
		{
			name: "mount point parent is a symlink",
			plant: func(t *testing.T, taskDir, outside string) {
				if err := os.Symlink(outside, filepath.Join(taskDir, "run")); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrStartFailed,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, allowRoot(map[string]any{"chroot_env": map[string]string{
				"/usr": "/usr", "/bin": "/bin", "/lib": "/lib", "/lib64": "/lib64", "/etc": "/etc", "/etc/hostname": "/run/x/hostname",
			}}))
			outside := t.TempDir()
			cmd, args := sh("true")
			cfg := newTaskConfig(t, "escape", "root", cmd, args...)
			tc.plant(t, cfg.TaskDir.Dir, outside)
			_, err := d.StartTask(cfg)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("StartTask() = %v, want %v", err, tc.wantErr)
			}
			entries, _ := os.ReadDir(outside)
			if len(entries) != 0 {
				t.Errorf("the driver created %d entries outside the task dir", len(entries))
			}
			if mounted(t, outside) {
				t.Errorf("something is mounted on %s", outside)
			}
		})
	}
}

// mounted reports whether dir is a mount point in the host's namespace.
func mounted(t *testing.T, dir string) bool {
	t.Helper()
	var st, parent unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return false
	}
	if err := unix.Stat(filepath.Dir(dir), &parent); err != nil {
		return false
	}
	return st.Dev != parent.Dev
}
