package exec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
)

// hostVolumeDir is a host directory every task user may write, standing
// for a client's host_volume path.
func hostVolumeDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vol")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A writable host volume: the task (nobody) reads what is there and what it
// writes lands on the host path.
func TestHostVolumeWritable(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	vol := hostVolumeDir(t)
	if err := os.WriteFile(filepath.Join(vol, "seed"), []byte("from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := newTaskConfig(t, "volrw", "", "/bin/sh", "-c", "cat /srv/data/seed && echo from-task > /srv/data/out")
	cfg.Mounts = []drivers.MountConfig{{TaskPath: "/srv/data", HostPath: vol, Volume: "data"}}
	res, out := runTask(t, d, cfg)
	if res.ExitCode != 0 || !strings.Contains(out, "from-host") {
		t.Fatalf("exit %d, stdout %q; want 0 and the host's file (stderr %q)", res.ExitCode, out, readLog(t, cfg, "stderr"))
	}
	b, err := os.ReadFile(filepath.Join(vol, "out"))
	if err != nil || string(b) != "from-task\n" {
		t.Fatalf("host file = %q, %v; want the task's write", b, err)
	}
}

// A read-only host volume: the task's write fails although the directory's
// permissions allow it, and nothing reaches the host.
func TestHostVolumeReadOnly(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	vol := hostVolumeDir(t)
	cfg := newTaskConfig(t, "volro", "", "/bin/sh", "-c", "echo x > /data/out; echo rc=$?")
	cfg.Mounts = []drivers.MountConfig{{TaskPath: "/data", HostPath: vol, ReadOnly: true, Volume: "data"}}
	_, out := runTask(t, d, cfg)
	if !strings.Contains(out, "rc=1") && !strings.Contains(out, "rc=2") {
		t.Fatalf("stdout %q, want the write to fail (stderr %q)", out, readLog(t, cfg, "stderr"))
	}
	if !strings.Contains(readLog(t, cfg, "stderr"), "Read-only file system") {
		t.Errorf("stderr %q, want a read-only file system error", readLog(t, cfg, "stderr"))
	}
	if _, err := os.Stat(filepath.Join(vol, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("host file exists after a read-only write: %v", err)
	}
}

// A symlink planted where the mount point goes (the task directory holds
// what the job's artifacts and templates wrote) is not followed: the start
// fails and the link's target on the host is untouched.
func TestHostVolumeDestinationSymlink(t *testing.T) {
	requireRoot(t)
	d := newTestDriver(t, nil)
	vol := hostVolumeDir(t)
	victim := t.TempDir()
	cfg := newTaskConfig(t, "volln", "", "/bin/true")
	if err := os.Symlink(victim, filepath.Join(cfg.TaskDir.Dir, "data")); err != nil {
		t.Fatal(err)
	}
	cfg.Mounts = []drivers.MountConfig{{TaskPath: "/data/x", HostPath: vol, Volume: "data"}}
	_, err := d.StartTask(cfg)
	if err == nil {
		res := waitTask(t, d, cfg.ID)
		t.Fatalf("task started through a symlinked mount point (exit %d)", res.ExitCode)
	}
	if !strings.Contains(err.Error(), "/data") {
		t.Errorf("StartTask error = %v, want it to name the mount point", err)
	}
	t.Logf("refused: %v", err)
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Fatalf("the symlink's target got %d entries", len(ents))
	}
}

func TestVolumeBindsRejects(t *testing.T) {
	vol := t.TempDir()
	cases := []struct {
		name string
		m    drivers.MountConfig
	}{
		{"root", drivers.MountConfig{TaskPath: "/", HostPath: vol}},
		{"dot dot", drivers.MountConfig{TaskPath: "/a/../../etc", HostPath: vol}},
		{"proc", drivers.MountConfig{TaskPath: "/proc/sys", HostPath: vol}},
		{"dev", drivers.MountConfig{TaskPath: "/dev", HostPath: vol}},
		{"relative host path", drivers.MountConfig{TaskPath: "/d", HostPath: "vol"}},
		{"missing host path", drivers.MountConfig{TaskPath: "/d", HostPath: filepath.Join(vol, "nope")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := volumeBinds([]drivers.MountConfig{tc.m}); err == nil {
				t.Fatalf("volumeBinds(%+v) accepted", tc.m)
			}
		})
	}
}
