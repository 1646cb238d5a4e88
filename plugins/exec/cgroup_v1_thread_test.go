package exec

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestTaskBornInItsCgroup: with the in-process start the task is in its
// cgroup in every controller at its first instruction (read while it is
// stopped after its execve), not only once the driver moves it there: a
// plugin killed before it traces the task with PTRACE_O_EXITKILL leaves no
// task outside its limits.
func TestTaskBornInItsCgroup(t *testing.T) {
	requireRoot(t)
	if !canStartInProcess(true) {
		t.Skip("no in-process start on this kernel")
	}
	for _, h := range testHierarchies(t) {
		if h.version != 1 {
			continue // v2: CLONE_INTO_CGROUP, covered by TestTaskInItsCgroup
		}
		d := newTestDriver(t, nil)
		var cgroupFile string
		afterExecStop = func(pid int) {
			// On another thread: the start thread is in the task's root.
			done := make(chan string)
			go func() {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
				done <- string(b)
			}()
			cgroupFile = <-done
		}
		t.Cleanup(func() { afterExecStop = nil })
		cfg := newTaskConfig(t, "born", "", "/bin/true")
		if res, _ := runTask(t, d, cfg); !res.Successful() {
			t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
		}
		want := cgroupRel(testCgroupParent, cfg.ID)
		for _, c := range []string{"memory", "cpu", "cpuacct", "pids", "freezer", "devices"} {
			if !hasCgroupLine(cgroupFile, c, want) {
				t.Errorf("stopped task's /proc/<pid>/cgroup has no %s line %s:\n%s", c, want, cgroupFile)
			}
		}
	}
}

// hasCgroupLine reports whether a /proc/<pid>/cgroup text puts the process
// in path for controller.
func hasCgroupLine(text, controller, path string) bool {
	for _, l := range strings.Split(text, "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 || parts[2] != path {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				return true
			}
		}
	}
	return false
}

// TestPidsLimitOne: the start thread is out of the task's cgroups when
// StartTask returns (else the plugin's PID would be in their cgroup.procs,
// for Kill to SIGKILL), and its pids charge does not count against the
// task: with pids_limit 1 the task starts, pids.max is 1 and the task is
// the only member of each of its cgroups.
func TestPidsLimitOne(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, map[string]any{"pids_limit": 1})
	cfg := newTaskConfig(t, "pids1", "", busybox, "sleep", "30")
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask() = %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(cfg.ID, true) })
	tk, err := d.lookupTask(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	controllers := []string{"pids"}
	if tk.state.CgroupVersion == 1 {
		controllers = []string{"memory", "cpu", "cpuacct", "pids", "freezer", "devices"}
	}
	want := strconv.Itoa(tk.child.Pid)
	for _, c := range controllers {
		file := "tasks"
		if tk.state.CgroupVersion == 2 {
			file = "cgroup.threads"
		}
		if got := cgroupFile(t, d, cfg.ID, c, file); got != want {
			t.Errorf("%s %s = %q, want only the task %s", c, file, got, want)
		}
	}
	if got := cgroupFile(t, d, cfg.ID, "pids", "pids.max"); got != "1" {
		t.Errorf("pids.max = %s, want 1", got)
	}
	if got := cgroupFile(t, d, cfg.ID, "pids", "pids.current"); got != "1" {
		t.Errorf("pids.current = %s, want 1", got)
	}
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatal(err)
	}
}
