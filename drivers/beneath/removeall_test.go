package beneath

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// hostDir makes a directory standing for a host directory a task must not
// be able to have removed, with one file in it.
func hostDir(t *testing.T) (dir, file string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "host")
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	file = filepath.Join(dir, "sub", "precious")
	must(t, os.WriteFile(file, []byte(secret), 0o600))
	return dir, file
}

func TestRemoveAllRemovesLinksNotTargets(t *testing.T) {
	host, precious := hostDir(t)
	base := t.TempDir()
	alloc := filepath.Join(base, "alloc")
	must(t, os.MkdirAll(filepath.Join(alloc, "task", "local", "deep", "er"), 0o777))
	must(t, os.WriteFile(filepath.Join(alloc, "task", "local", "deep", "er", "f"), []byte("x"), 0o644))
	// What a task plants: links to the host directory, absolute and
	// relative, at several depths, and a link to a file.
	for _, l := range []struct{ target, at string }{
		{host, "task/local/abs"},
		{host, "task/local/deep/er/abs"},
		{"../../../" + filepath.Base(base) + "/../" + filepath.Base(filepath.Dir(host)) + "/host", "task/local/rel"},
		{precious, "task/local/file"},
		{host, "toplink"},
	} {
		must(t, os.Symlink(l.target, filepath.Join(alloc, l.at)))
	}
	if err := RemoveTree(alloc); err != nil {
		t.Fatalf("RemoveTree: %v", err)
	}
	if _, err := os.Lstat(alloc); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("alloc dir still there: %v", err)
	}
	b, err := os.ReadFile(precious)
	if err != nil || string(b) != secret {
		t.Fatalf("host file damaged: %q, %v", b, err)
	}
	if err := RemoveTree(alloc); err != nil {
		t.Fatalf("removing a missing tree: %v", err)
	}
}

func TestRemoveTreeRefusesLinkedRoot(t *testing.T) {
	host, precious := hostDir(t)
	link := filepath.Join(t.TempDir(), "alloc")
	must(t, os.Symlink(host, link))
	if err := RemoveTree(link); err != nil {
		t.Fatalf("RemoveTree of a link: %v", err)
	}
	if _, err := os.Stat(precious); err != nil {
		t.Fatalf("host file removed through the link: %v", err)
	}
}

func TestRemoveAllStopsAtMountPoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind mount")
	}
	host, precious := hostDir(t)
	alloc := filepath.Join(t.TempDir(), "alloc")
	mnt := filepath.Join(alloc, "task", "mnt")
	must(t, os.MkdirAll(mnt, 0o755))
	if err := unix.Mount(host, mnt, "", unix.MS_BIND, ""); err != nil {
		t.Skipf("bind mount: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	err := RemoveTree(alloc)
	if !errors.Is(err, ErrMountPoint) {
		t.Fatalf("RemoveTree across a mount: %v, want ErrMountPoint", err)
	}
	if _, err := os.Stat(precious); err != nil {
		t.Fatalf("file under the mount removed: %v", err)
	}
}
