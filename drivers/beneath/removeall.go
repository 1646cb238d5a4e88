package beneath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrMountPoint is returned by RemoveAll for a directory below the one
// being removed that is another mount: RemoveAll never descends into one,
// so a mount left behind cannot take the host files it shows with it.
var ErrMountPoint = errors.New("refusing to remove below a mount point")

// maxRemoveDepth bounds how deep RemoveAll descends (one descriptor is
// held per level).
const maxRemoveDepth = 4096

// RemoveAll removes name beneath d and everything below it. A symbolic
// link is removed itself, never followed (so a link a task planted that
// points at a host directory leaves that directory alone), and a directory
// on another mount than d's is refused with ErrMountPoint. A missing name
// is not an error.
func (d *Dir) RemoveAll(name string) error {
	pfd, base, cleaned, err := d.parent(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove: %w", err)
	}
	defer d.closeParent(pfd)
	mnt, err := mountID(d.fd())
	if err != nil {
		return fmt.Errorf("remove %s: %w", d.join(cleaned), err)
	}
	if err := removeAt(pfd, base, mnt, 0); err != nil {
		return fmt.Errorf("remove %s: %w", d.join(cleaned), err)
	}
	return nil
}

// RemoveTree removes the directory at path (whose last component must not
// be a link) and everything below it, as RemoveAll does.
func RemoveTree(path string) error {
	parent, err := Open(filepath.Dir(filepath.Clean(path)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer parent.Close()
	return parent.RemoveAll(filepath.Base(filepath.Clean(path)))
}

// mountID identifies the mount fd is on (its device where the kernel has
// no mount IDs in statx).
func mountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, err
	}
	if stx.Mask&unix.STATX_MNT_ID != 0 {
		return stx.Mnt_id, nil
	}
	return unix.Mkdev(stx.Dev_major, stx.Dev_minor), nil
}

// removeAt removes base in the directory pfd: unlinked when it is not a
// directory, else emptied through a descriptor opened without following
// links and removed.
func removeAt(pfd int, base string, mnt uint64, depth int) error {
	err := unix.Unlinkat(pfd, base, 0)
	switch {
	case err == nil || err == unix.ENOENT:
		return nil
	case err != unix.EISDIR && err != unix.EPERM:
		return err
	}
	if depth >= maxRemoveDepth {
		return fmt.Errorf("%s: deeper than %d directories: %w", base, maxRemoveDepth, unix.ELOOP)
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", base, err)
	}
	dir := os.NewFile(uintptr(fd), base)
	defer dir.Close()
	id, err := mountID(fd)
	if err != nil {
		return fmt.Errorf("%s: %w", base, err)
	}
	if id != mnt {
		return fmt.Errorf("%s: %w", base, ErrMountPoint)
	}
	for {
		names, err := dir.Readdirnames(256)
		for _, n := range names {
			if rerr := removeAt(fd, n, mnt, depth+1); rerr != nil {
				return fmt.Errorf("%s/%w", base, rerr)
			}
		}
		if err != nil {
			break // io.EOF: all read (entries are removed as they are read)
		}
	}
	if err := unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return fmt.Errorf("%s: %w", base, err)
	}
	return nil
}
