package exec

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// These tests perform the attacks of issue #10 item 4 with real tasks: run
// as root, fork without bound, gain root through a setuid binary, open a
// host disk through a device node the task made.

func TestUserDenylist(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		plugin  map[string]any
		user    string
		want    string   // "uid:gid" printed by the task
		wantErr []string // substrings of the StartTask error
	}{
		{name: "root refused by default", user: "root", wantErr: []string{`user: "root" has uid 0`, "denied_host_uids", `plugin "exec"`}},
		{name: "nobody allowed by default", user: "", want: "65534:65534"},
		{name: "root allowed when both lists are cleared", plugin: allowRoot(nil), user: "root", want: "0:0"},
		{name: "root group still refused", plugin: map[string]any{"denied_host_uids": ""}, user: "root", wantErr: []string{`user: "root" is in group 0`, "denied_host_gids"}},
		{name: "uid range", plugin: map[string]any{"denied_host_uids": "0, 60000-65534"}, user: "nobody", wantErr: []string{"uid 65534", `denied_host_uids ("0, 60000-65534")`}},
		{name: "uid outside the ranges", plugin: map[string]any{"denied_host_uids": "0,1-100,65535"}, user: "nobody", want: "65534:65534"},
		{name: "gid range", plugin: map[string]any{"denied_host_gids": "0,65000-65534"}, user: "nobody", wantErr: []string{"group 65534", "denied_host_gids"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, tc.plugin)
			cmd, args := sh(`echo "$(id -u):$(id -g)"`)
			cfg := newTaskConfig(t, "deny", tc.user, cmd, args...)
			if len(tc.wantErr) > 0 {
				_, err := d.StartTask(cfg)
				if !errors.Is(err, ErrUserDenied) {
					t.Fatalf("StartTask() = %v, want %v", err, ErrUserDenied)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("StartTask() = %q, want it to contain %q", err, want)
					}
				}
				if _, err := d.lookupTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
					t.Errorf("a refused task is known to the driver: %v", err)
				}
				if _, err := os.Stat(readLogPath(cfg, "stdout")); err == nil {
					t.Errorf("a refused task has a log file")
				}
				return
			}
			res, out := runTask(t, d, cfg)
			if !res.Successful() || strings.TrimSpace(out) != tc.want {
				t.Errorf("result %+v, uid:gid = %q, want %q (stderr %q)", res, out, tc.want, readLog(t, cfg, "stderr"))
			}
		})
	}
}

func readLogPath(cfg *drivers.TaskConfig, stream string) string {
	return filepath.Join(cfg.Logs.Dir, cfg.Name+"."+stream+".0")
}

// forkBomb forks background sleeps from a subshell until a fork fails, at
// most 64 times, then says whether a fork failed; the task lives on.
const forkBomb = `( i=0; while [ $i -lt 64 ]; do sleep 120 & i=$((i+1)); echo "started $i"; done; echo not-contained )
echo subshell-ended
sleep 120`

func TestForkBombContained(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name      string
		plugin    map[string]any
		taskLimit int64
		want      int
	}{
		{name: "task pids_limit", taskLimit: 16, want: 16},
		{name: "plugin pids_limit", plugin: map[string]any{"pids_limit": 12}, want: 12},
		{name: "task lowers the plugin's", plugin: map[string]any{"pids_limit": 40}, taskLimit: 10, want: 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, tc.plugin)
			cmd, args := sh(forkBomb)
			cfg := newTaskConfig(t, "forkbomb", "", cmd, args...)
			task := map[string]any{"command": cmd, "args": args}
			if tc.taskLimit > 0 {
				task["pids_limit"] = tc.taskLimit
			}
			setTaskConfig(t, cfg, task)
			if _, err := d.StartTask(cfg); err != nil {
				t.Fatalf("StartTask() = %v", err)
			}
			poll.UntilTrue(t, 60*time.Second, "the fork loop to end", func() bool {
				return strings.Contains(readLog(t, cfg, "stdout"), "subshell-ended")
			})
			out := readLog(t, cfg, "stdout")
			if strings.Contains(out, "not-contained") {
				t.Fatalf("the task forked 64 processes with pids_limit %d:\n%s", tc.want, out)
			}
			if got := cgroupFile(t, d, cfg.ID, "pids", "pids.max"); got != strconv.Itoa(tc.want) {
				t.Errorf("pids.max = %s, want %d", got, tc.want)
			}
			tk, err := d.lookupTask(cfg.ID)
			if err != nil {
				t.Fatal(err)
			}
			procs, err := tk.cg.Procs()
			if err != nil {
				t.Fatal(err)
			}
			// The shell, its sleep and the subshell's sleeps that got a pid.
			if len(procs) > tc.want || len(procs) < tc.want/2 {
				t.Errorf("the task cgroup has %d processes, want at most %d (and most of them)", len(procs), tc.want)
			}
			if !strings.Contains(readLog(t, cfg, "stderr"), "fork") {
				t.Errorf("stderr does not report a failed fork: %q", readLog(t, cfg, "stderr"))
			}
			// The host still forks.
			if err := osexec.Command("/bin/true").Run(); err != nil {
				t.Errorf("the host cannot start a process: %v", err)
			}
		})
	}
}

func TestPidsLimitAbovePlugin(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, map[string]any{"pids_limit": 100})
	cmd, args := sh("true")
	cfg := newTaskConfig(t, "pids", "", cmd, args...)
	setTaskConfig(t, cfg, map[string]any{"command": cmd, "args": args, "pids_limit": 101})
	_, err := d.StartTask(cfg)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "config.pids_limit: 101 is above the plugin's pids_limit (100)") {
		t.Fatalf("StartTask() = %v, want config.pids_limit above the plugin's", err)
	}
}

// suidHelperEnv makes a run of this test binary the setuid helper task.
const suidHelperEnv = "NOMADLIKE_EXEC_TEST_SUID_HELPER"

// suidHelper prints its credentials (the Uid, Gid and NoNewPrivs lines of
// /proc/self/status) and returns the exit code.
func suidHelper() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, key := range []string{"Uid:", "Gid:", "NoNewPrivs:"} {
			if strings.HasPrefix(line, key) {
				fmt.Println(line)
			}
		}
	}
	return 0
}

// installSetuidRoot copies this test binary to dst, owned by root with the
// setuid and setgid bits.
func installSetuidRoot(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	// chown clears the set-id bits: set them after.
	if err := os.Chown(dst, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o755|os.ModeSetuid|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
}

// statusIDs returns the real and effective ids of a "Uid:" or "Gid:" line.
func statusIDs(t *testing.T, out, key string) (real, effective string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			if len(f) < 2 {
				t.Fatalf("bad %s line %q", key, line)
			}
			return f[0], f[1]
		}
	}
	t.Fatalf("no %s line in %q", key, out)
	return "", ""
}

func TestSetuidNoPrivilege(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name    string
		hostDir func(cfg *drivers.TaskConfig) string
		inTask  string // the helper's directory inside the chroot
	}{
		{name: "task dir", hostDir: func(cfg *drivers.TaskConfig) string { return cfg.TaskDir.Dir }, inTask: "/"},
		{name: "local dir", hostDir: func(cfg *drivers.TaskConfig) string { return cfg.TaskDir.LocalDir }, inTask: "/local"},
		{name: "shared alloc dir", hostDir: func(cfg *drivers.TaskConfig) string { return cfg.TaskDir.SharedDir }, inTask: "/alloc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDriver(t, nil)
			cfg := newTaskConfig(t, "suid", "", "/suid-helper")
			installSetuidRoot(t, filepath.Join(tc.hostDir(cfg), "suid-helper"))
			setTaskConfig(t, cfg, map[string]any{"command": filepath.Join(tc.inTask, "suid-helper")})
			cfg.Env[suidHelperEnv] = "1"
			res, out := runTask(t, d, cfg)
			if !res.Successful() {
				t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
			}
			if ruid, euid := statusIDs(t, out, "Uid"); ruid != "65534" || euid != "65534" {
				t.Errorf("a setuid-root binary run by nobody has real/effective uid %s/%s, want 65534/65534", ruid, euid)
			}
			if rgid, egid := statusIDs(t, out, "Gid"); rgid != "65534" || egid != "65534" {
				t.Errorf("a setgid-root binary run by nobody has real/effective gid %s/%s, want 65534/65534", rgid, egid)
			}
			if !strings.Contains(out, "NoNewPrivs:\t1") {
				t.Errorf("no_new_privs is not set:\n%s", out)
			}
		})
	}
}

// hostDisk returns the device number of the host's first block device.
func hostDisk(t *testing.T) (major, minor int) {
	t.Helper()
	f, err := os.Open("/proc/partitions")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 {
			continue
		}
		maj, err1 := strconv.Atoi(fields[0])
		mnr, err2 := strconv.Atoi(fields[1])
		if err1 == nil && err2 == nil {
			return maj, mnr
		}
	}
	t.Skip("no block device in /proc/partitions")
	return 0, 0
}

// deviceDirs are the places in the chroot where a task might make a node.
var deviceDirs = []string{"/tmp", "/dev", "/local", "/alloc", "/dev/shm"}

// deviceScript tries, in each of deviceDirs, to make a node of the host's
// disk and of /dev/kmsg (1:11, which root on the host may open for writing)
// and to open them (without reading or writing a byte; a failed mknod
// fails the open step too, which must not open a regular file), then uses the
// devices a task should have. Each step prints "ok:<label>" or
// "fail:<label>".
func deviceScript(major, minor int) string {
	var b strings.Builder
	b.WriteString(`try() { l=$1; shift; if "$@" >/dev/null 2>&1; then echo "ok:$l"; else echo "fail:$l"; fi; }` + "\n")
	for _, dir := range deviceDirs {
		fmt.Fprintf(&b, "try mknod-disk%s mknod %s/disk b %d %d\n", dir, dir, major, minor)
		fmt.Fprintf(&b, "try open-disk%s sh -c 'test -b %s/disk && : < %s/disk'\n", dir, dir, dir)
		fmt.Fprintf(&b, "try mknod-kmsg%s mknod %s/kmsg c 1 11\n", dir, dir)
		fmt.Fprintf(&b, "try open-kmsg%s sh -c 'test -c %s/kmsg && : > %s/kmsg'\n", dir, dir, dir)
	}
	b.WriteString(`try null sh -c 'echo x > /dev/null'
try zero dd if=/dev/zero of=/dev/null bs=4 count=1
try urandom dd if=/dev/urandom of=/dev/null bs=4 count=1
try ptmx sh -c 'exec 3<>/dev/ptmx'
try fifo mkfifo /tmp/fifo
`)
	return b.String()
}

// checkDeviceResults asserts the outcome of deviceScript.
func checkDeviceResults(t *testing.T, out string) {
	t.Helper()
	got := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if l, ok := strings.CutPrefix(line, "ok:"); ok {
			got[l] = true
		} else if l, ok := strings.CutPrefix(line, "fail:"); ok {
			got[l] = false
		}
	}
	for _, dir := range deviceDirs {
		for _, step := range []string{"mknod-disk", "open-disk", "mknod-kmsg", "open-kmsg"} {
			if ok, seen := got[step+dir]; !seen || ok {
				t.Errorf("%s in %s: ok=%v seen=%v, want a failure", step, dir, ok, seen)
			}
		}
	}
	for _, l := range []string{"null", "zero", "urandom", "ptmx", "fifo"} {
		if !got[l] {
			t.Errorf("%s: failed, want it to work", l)
		}
	}
	if t.Failed() {
		t.Logf("task output:\n%s", out)
	}
}

// runDeviceAttack runs deviceScript as a root task of d, with resources
// when not nil, and checks its outcome.
func runDeviceAttack(t *testing.T, d drivers.Driver, resources *drivers.Resources) {
	t.Helper()
	major, minor := hostDisk(t)
	cmd, args := sh(deviceScript(major, minor))
	cfg := newTaskConfig(t, "devices", "root", cmd, args...)
	if resources != nil {
		cfg.Resources = *resources
	}
	res, out := runTask(t, d, cfg)
	if !res.Successful() {
		t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
	}
	checkDeviceResults(t, out)
}

func TestDeviceNodes(t *testing.T) {
	requireRoot(t)
	runDeviceAttack(t, newTestDriver(t, allowRoot(nil)), nil)
}

// TestDeviceNodesCgroupV2 runs the same attack with the task in a cgroup v2
// hierarchy (the hybrid host's /sys/fs/cgroup/unified, which has no
// controllers: no memory or pids limit there), where the device rules are an
// eBPF program.
func TestDeviceNodesCgroupV2(t *testing.T) {
	requireRoot(t)
	h, err := detectHierarchy()
	if err != nil {
		t.Fatal(err)
	}
	if h.version == 2 {
		t.Skip("the driver uses cgroup v2 here: TestDeviceNodes covers it")
	}
	unified := filepath.Join(cgroupFSRoot, "unified")
	if !isCgroup2(unified) {
		t.Skip("no cgroup2 mount on this v1 host")
	}
	d := newTestDriver(t, allowRoot(map[string]any{"pids_limit": 0}))
	d.hier = &hierarchy{version: 2, mount: unified}
	runDeviceAttack(t, d, &drivers.Resources{})
}

// TestMountFlags checks the filesystem layer of the device and setuid
// defences, which holds whatever the cgroup version: every mount of the
// chroot is nosuid, every one but /dev and its devpts is nodev, and /dev is
// read-only.
func TestMountFlags(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, allowRoot(nil))
	cfg := newTaskConfig(t, "mounts", "root", busybox, "cat", "/proc/self/mountinfo")
	res, out := runTask(t, d, cfg)
	if !res.Successful() {
		t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("bad mountinfo line %q", line)
		}
		point, opts := f[4], map[string]bool{}
		for _, o := range strings.Split(f[5], ",") {
			opts[o] = true
		}
		seen[point] = true
		if !opts["nosuid"] {
			t.Errorf("%s is mounted without nosuid (%s)", point, f[5])
		}
		// The /proc files the driver masks are binds of /dev/null.
		masked := slices.Contains([]string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats"}, point)
		if point != "/dev" && point != "/dev/pts" && !masked && !opts["nodev"] {
			t.Errorf("%s is mounted without nodev (%s)", point, f[5])
		}
		if point == "/dev" && !opts["ro"] {
			t.Errorf("/dev is writable (%s)", f[5])
		}
	}
	for _, p := range []string{"/", "/usr", "/alloc", "/local", "/secrets", "/dev", "/dev/pts", "/dev/shm", "/proc"} {
		if !seen[p] {
			t.Errorf("no mount at %s in the task's mountinfo:\n%s", p, out)
		}
	}
}
