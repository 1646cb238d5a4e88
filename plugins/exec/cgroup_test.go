package exec

import (
	"errors"
	"os"
	osexec "os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testHierarchies lists the hierarchies this host can test: v1's memory
// controller, and the cgroup2 mount (at /sys/fs/cgroup in unified mode, at
// /sys/fs/cgroup/unified in hybrid mode, possibly without controllers).
func testHierarchies(t *testing.T) []hierarchy {
	t.Helper()
	var hs []hierarchy
	if _, err := v1ControllerMount("memory"); err == nil {
		hs = append(hs, hierarchy{version: 1})
	}
	for _, m := range []string{cgroupFSRoot, filepath.Join(cgroupFSRoot, "unified")} {
		if isCgroup2(m) {
			hs = append(hs, hierarchy{version: 2, mount: m})
			break
		}
	}
	return hs
}

func TestTaskCgroupLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("cgroup tests need root")
	}
	hs := testHierarchies(t)
	if len(hs) == 0 {
		t.Skip("no cgroup hierarchy")
	}
	for _, h := range hs {
		t.Run("v"+strconv.Itoa(h.version), func(t *testing.T) {
			withMemory := h.version == 1 || hasV2Controller(h.mount, "memory")
			limits := cgroupLimits{}
			if withMemory {
				limits = cgroupLimits{memoryMax: 80 << 20, memorySoft: 40 << 20, cpuShares: 512}
			}
			rel := path.Join("/", testCgroupParent, "lifecycle-"+strconv.Itoa(h.version))
			cg, err := newTaskCgroup(h, rel, limits)
			if err != nil {
				t.Fatalf("newTaskCgroup(%s) = %v", rel, err)
			}
			t.Cleanup(func() { _ = deleteCgroup(cg) })

			if withMemory {
				file, want := "memory.max", strconv.Itoa(80<<20)
				dir := filepath.Join(h.mount, rel)
				if h.version == 1 {
					file = "memory.limit_in_bytes"
					mnt, _ := v1ControllerMount("memory")
					dir = filepath.Join(mnt, rel)
				}
				b, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil || strings.TrimSpace(string(b)) != want {
					t.Errorf("%s = %q, %v; want %s", file, b, err, want)
				}
			}

			cmd := osexec.Command(busybox, "sleep", "300")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-waited
			})
			if err := cg.AddProc(cmd.Process.Pid); err != nil {
				t.Fatalf("AddProc() = %v", err)
			}
			procs, err := cg.Procs()
			if err != nil || !slices.Contains(procs, cmd.Process.Pid) {
				t.Fatalf("Procs() = %v, %v; want it to hold %d", procs, err, cmd.Process.Pid)
			}
			if s, err := cg.Stats(); err != nil || s.pids < 1 {
				t.Errorf("Stats() = %+v, %v; want at least one process", s, err)
			}
			if n, err := cg.OOMKills(); withMemory && (err != nil || n != 0) {
				t.Errorf("OOMKills() = %d, %v; want 0", n, err)
			}
			if err := cg.Delete(); err == nil {
				t.Fatal("Delete() of a cgroup with a process succeeded")
			}
			if err := cg.Kill(); err != nil {
				t.Fatalf("Kill() = %v", err)
			}
			select {
			case err := <-waited:
				var ee *osexec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Errorf("process ended with %v, want SIGKILL", err)
				}
				waited <- err // for the cleanup
			case <-time.After(30 * time.Second):
				t.Fatal("process still running 30s after Kill()")
			}
			if err := deleteCgroup(cg); err != nil {
				t.Fatalf("Delete() = %v", err)
			}
			if _, err := loadTaskCgroup(h, rel); err == nil && h.version == 1 {
				t.Error("loadTaskCgroup() of a deleted v1 cgroup succeeded")
			}
			if h.version == 2 {
				if _, err := os.Stat(filepath.Join(h.mount, rel)); !os.IsNotExist(err) {
					t.Errorf("cgroup dir still exists: %v", err)
				}
			}
		})
	}
}
