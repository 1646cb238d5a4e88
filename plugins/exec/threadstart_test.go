package exec

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// TestInitPath runs the isolation and hardening tests again with every task
// started through the re-executed init, the path for kernels without the
// procfs "pidns" option or hosts that refuse ptrace.
func TestInitPath(t *testing.T) {
	requireRoot(t)
	threadStart = threadStartOff
	t.Cleanup(func() { threadStart = threadStartAuto })
	for name, fn := range map[string]func(*testing.T){
		"PIDNamespace":       TestPIDNamespace,
		"ChrootConfinement":  TestChrootConfinement,
		"Capabilities":       TestCapabilities,
		"User":               TestUser,
		"SymlinkEscapes":     TestSymlinkEscapes,
		"MountFlags":         TestMountFlags,
		"ProcMasks":          TestProcMasks,
		"SetuidNoPrivilege":  TestSetuidNoPrivilege,
		"DeviceNodes":        TestDeviceNodes,
		"HostVolumeReadOnly": TestHostVolumeReadOnly,
		"StartFailures":      TestStartFailures,
		"ExitCodes":          TestExitCodes,
		"TaskInItsCgroup":    TestTaskInItsCgroup,
	} {
		t.Run(name, fn)
	}
}

// TestThreadStartAvailable: on a kernel with the procfs "pidns" option (Linux
// 6.18, this project's CI), tasks start in-process and every other test of
// this package covers that path.
func TestThreadStartAvailable(t *testing.T) {
	requireRoot(t)
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	if !canStartInProcess(true) {
		t.Skipf("kernel %s has no procfs pidns option: tasks start through the init", unix.ByteSliceToString(uts.Release[:]))
	}
	d := newTestDriver(t, nil)
	cfg := newTaskConfig(t, "inproc", "", "/bin/true")
	if res, _ := runTask(t, d, cfg); !res.Successful() {
		t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
	}
	if d.noThreadStart.Load() {
		t.Fatal("the driver fell back to the init process")
	}
}

// TestProcMasks: the task's /proc hides the masked files and cannot be
// written below /proc/sys, even by root, whichever way the task started.
func TestProcMasks(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, allowRoot(nil))
	cmd, args := sh(`for f in /proc/keys /proc/timer_list; do [ -e $f ] && wc -c < $f; done; echo x > /proc/sys/kernel/hostname && echo WROTE; echo pid $$`)
	cfg := newTaskConfig(t, "procmasks", "root", cmd, args...)
	res, out := runTask(t, d, cfg)
	if !res.Successful() {
		t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
	}
	for _, l := range strings.Fields(out) {
		if l != "0" && l != "pid" && l != "1" {
			t.Errorf("a masked /proc file is readable: %q", out)
		}
	}
	if strings.Contains(out, "WROTE") {
		t.Errorf("a root task wrote to /proc/sys: %q", out)
	}
	if !strings.Contains(out, "pid 1\n") {
		t.Errorf("the task is not PID 1 of its own /proc: %q", out)
	}
}

// TestThreadStartLeavesNothing: after tasks started in-process have run and
// been destroyed, no thread of the driver is left in a task's mount
// namespace (which would keep its mounts alive) and no task cgroup remains.
func TestThreadStartLeavesNothing(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	var ids []string
	for i := range 5 {
		cfg := newTaskConfig(t, "leak"+string(rune('a'+i)), "", "/bin/true")
		if res, _ := runTask(t, d, cfg); !res.Successful() {
			t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
		}
		if err := d.DestroyTask(cfg.ID, false); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cfg.ID)
	}
	own, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	poll.UntilTrue(t, 10*time.Second, "every thread back in the process's mount namespace", func() bool {
		threads, _ := filepath.Glob("/proc/self/task/*/ns/mnt")
		for _, th := range threads {
			if ns, err := os.Readlink(th); err == nil && ns != own {
				return false
			}
		}
		return true
	})
	h, err := d.hierarchy()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		dir := filepath.Join(h.mount, testCgroupParent, cgroupName(id))
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still exists (%v)", dir, err)
		}
	}
}

// TestTaskInItsCgroup: the task's first look at /proc/self/cgroup already
// shows its own cgroup, on v1 (the start thread joined it before the fork;
// the init before it read its spec) and on v2 (CLONE_INTO_CGROUP), whichever
// way it started.
func TestTaskInItsCgroup(t *testing.T) {
	requireRoot(t)
	for _, h := range testHierarchies(t) {
		t.Run("v"+strconv.Itoa(h.version), func(t *testing.T) {
			d := newTestDriver(t, map[string]any{"pids_limit": 0})
			want := "memory:"
			if h.version == 2 {
				d.hier = &hierarchy{version: 2, mount: h.mount}
				want = "0::"
			}
			cfg := newTaskConfig(t, "incgroup", "", busybox, "cat", "/proc/self/cgroup")
			if h.version == 2 {
				// A hybrid host's cgroup2 may have no memory controller.
				cfg.Resources = drivers.Resources{}
			}
			res, out := runTask(t, d, cfg)
			if !res.Successful() {
				t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
			}
			want += cgroupRel(testCgroupParent, cfg.ID) + "\n"
			if !strings.Contains(out, want) {
				t.Errorf("/proc/self/cgroup of the task = %q, want a line ending %q", out, want)
			}
		})
	}
}
