package containerd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrPathEscapes is returned when a path a task names (a relative bind
// source, an image archive) resolves outside the directory it must stay in,
// through "..", an absolute symlink or a symlink climbing out.
var ErrPathEscapes = errors.New("resolves outside")

// openBeneath opens rel (relative to root) without ever leaving root: the
// kernel (openat2 RESOLVE_BENEATH) refuses "..", absolute symlinks and
// magic links that would climb out, so a symlink a task planted in its own
// directory cannot point the driver at a host path. flags are open(2) flags;
// O_PATH gives a handle that opens nothing (no FIFO can block it).
func openBeneath(root, rel string, flags int) (*os.File, error) {
	rootFd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer unix.Close(rootFd)
	how := &unix.OpenHow{
		Flags:   uint64(flags) | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	}
	var fd int
	for {
		fd, err = unix.Openat2(rootFd, rel, how)
		if !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EAGAIN) {
			break
		}
	}
	switch {
	case errors.Is(err, unix.EXDEV):
		return nil, fmt.Errorf("%q %w %s", rel, ErrPathEscapes, root)
	case errors.Is(err, unix.ENOSYS):
		return nil, fmt.Errorf("open %q beneath %s: openat2 is not supported by this kernel (Linux 5.6 or newer is needed)", rel, root)
	case err != nil:
		return nil, fmt.Errorf("open %q beneath %s: %w", rel, root, err)
	}
	return os.NewFile(uintptr(fd), filepath.Join(root, rel)), nil
}

// taskRelative returns the root a task's relative path must stay in (the
// allocation directory, as Nomad allows "../alloc/data") and the path
// relative to that root of p taken relative to the task directory.
func taskRelative(allocDir, taskDir, p string) (root, rel string) {
	root = allocDir
	if root == "" || !within(root, taskDir) {
		root = taskDir
	}
	base, err := filepath.Rel(root, taskDir)
	if err != nil {
		base = "."
	}
	return root, filepath.Join(base, p)
}

// bindStage holds the relative bind sources of one container being created,
// each bound from its opened handle onto a path under dir that no task can
// write. runc mounts these paths: a source swapped for a symlink after the
// driver resolved it changes nothing. (runc cannot take the handle itself:
// its mount namespace is not the driver's.)
type bindStage struct {
	dir     string
	targets []string
}

func newBindStage(dir string) *bindStage {
	s := &bindStage{dir: dir}
	s.clearLeftovers()
	return s
}

// add binds the file or directory f at a new path in the stage and
// returns that path. f may be closed afterwards.
func (s *bindStage) add(f *os.File) (string, error) {
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", fmt.Errorf("stage bind source: %w", err)
	}
	target := filepath.Join(s.dir, fmt.Sprint(len(s.targets)))
	if st.IsDir() {
		err = os.Mkdir(target, 0o700)
	} else {
		err = os.WriteFile(target, nil, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("stage bind source: %w", err)
	}
	src := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		os.Remove(target)
		return "", fmt.Errorf("stage bind source: %w", err)
	}
	s.targets = append(s.targets, target)
	// Keep the staged mount out of the host's other mount namespaces.
	if err := unix.Mount("", target, "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
		return "", fmt.Errorf("stage bind source: make private: %w", err)
	}
	return target, nil
}

// release unmounts the staged sources (the created container holds its own
// mounts of them) and removes the stage directory.
func (s *bindStage) release() {
	for _, t := range s.targets {
		unix.Unmount(t, unix.MNT_DETACH)
	}
	s.targets = nil
	s.clearLeftovers()
}

// clearLeftovers unmounts and removes what a crashed driver left in the
// stage directory. It removes entry by entry, never recursively: a path
// still mounted must not have its source's files deleted.
func (s *bindStage) clearLeftovers() {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(s.dir, e.Name())
		unix.Unmount(p, unix.MNT_DETACH)
		os.Remove(p)
	}
	os.Remove(s.dir)
}
