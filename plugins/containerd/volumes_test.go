package containerd_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
)

// Host volumes (issue #17) reach a container as OCI bind mounts: a
// writable one carries the task's file to the host path, a read-only one
// refuses the write even to the container's root.
func TestContainerdHostVolumes(t *testing.T) {
	e := &env{daemon: ctrdtest.Start(t, testNamespace), dataDir: t.TempDir()}
	e.archive = ctrdtest.BusyboxArchive(t, t.TempDir(), testImage)
	d := e.driver(t, nil)
	rw, ro := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "seed"), []byte("from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := e.task(t, "vols", map[string]any{"command": "sh", "args": []string{"-c",
		"echo from-task > /srv/rw/out; cat /srv/ro/seed; echo x > /srv/ro/out; echo rc=$?"}})
	cfg.Mounts = []drivers.MountConfig{
		{TaskPath: "/srv/rw", HostPath: rw, Volume: "rw"},
		{TaskPath: "/srv/ro", HostPath: ro, ReadOnly: true, Volume: "ro"},
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	defer destroy(t, d, cfg.ID)
	wait(t, d, cfg.ID)
	out, stderr := readLog(t, cfg, "stdout"), readLog(t, cfg, "stderr")
	if !strings.Contains(out, "from-host") || strings.Contains(out, "rc=0") {
		t.Fatalf("stdout %q (stderr %q): want the host's file read and the read-only write refused", out, stderr)
	}
	if !strings.Contains(stderr, "Read-only file system") {
		t.Errorf("stderr %q, want a read-only file system error", stderr)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out")); err != nil || string(b) != "from-task\n" {
		t.Errorf("host file = %q, %v; want the task's write", b, err)
	}
	if _, err := os.Stat(filepath.Join(ro, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only volume got a file: %v", err)
	}
}
