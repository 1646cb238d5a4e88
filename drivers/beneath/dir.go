package beneath

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Errors of a name that is not a plain path below its Dir, and of a file
// OpenExisting will not open. Errors from a refused name wrap one of these
// and the system call's error (syscall.Errno), so errors.Is works with both
// (os.ErrNotExist for a missing file).
var (
	// ErrLink: the name goes through a symbolic link, or is one.
	ErrLink = errors.New("refusing to follow a symbolic link")
	// ErrOutside: the name is absolute, has a ".." component, or leaves
	// the directory.
	ErrOutside = errors.New("path leaves its directory")
	// ErrFileType: the file exists but is not of the wanted type.
	ErrFileType = errors.New("unexpected file type")
	// ErrHardLinked: a regular file has more than one hard link.
	ErrHardLinked = errors.New("file has more than one hard link")
	// ErrOwner: the file belongs to another user than the wanted one.
	ErrOwner = errors.New("file has an unexpected owner")
)

// resolveFlags keep a lookup below its directory and refuse every link.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// Dir is an open directory that names are resolved beneath.
type Dir struct {
	f    *os.File
	path string
}

// Open opens the directory at path, which is resolved normally except that
// its last component must not be a symbolic link. The caller closes the Dir.
func Open(path string) (*Dir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", path, classify(unix.AT_FDCWD, path, err))
	}
	return &Dir{f: os.NewFile(uintptr(fd), path), path: filepath.Clean(path)}, nil
}

// Path is the directory's path as given to Open (or below it for OpenDir).
func (d *Dir) Path() string { return d.path }

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

func (d *Dir) fd() int { return int(d.f.Fd()) }

// join is the host path of name, for messages.
func (d *Dir) join(name string) string { return filepath.Join(d.path, name) }

// clean checks that name is a relative path without ".." and returns it
// cleaned ("." for the directory itself).
func clean(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty path: %w", ErrOutside)
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%q is absolute: %w", name, ErrOutside)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", fmt.Errorf("%q has a \"..\" component: %w", name, ErrOutside)
		}
	}
	return path.Clean(name), nil
}

// openat2Works reports whether the kernel has openat2 (Linux 5.6).
var openat2Works = sync.OnceValue(func() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// openat opens the clean name beneath dirfd, refusing links and escapes.
// O_NOFOLLOW and O_CLOEXEC are always added; with O_PATH the last component
// may be a link (the caller checks what it got).
func openat(dirfd int, name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if !openat2Works() {
		return walkOpen(dirfd, name, flags, mode)
	}
	how := &unix.OpenHow{Flags: uint64(flags), Resolve: resolveFlags}
	if flags&(unix.O_CREAT|unix.O_TMPFILE) != 0 {
		how.Mode = uint64(mode)
	}
	for {
		fd, err := unix.Openat2(dirfd, name, how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue // a rename raced the lookup
		}
		return fd, err
	}
}

// walkOpen is openat without openat2: one O_NOFOLLOW openat per component
// of a clean name without "..", so no link is ever followed.
func walkOpen(dirfd int, name string, flags int, mode uint32) (int, error) {
	elems := strings.Split(name, "/")
	cur := dirfd
	defer func() {
		if cur != dirfd {
			unix.Close(cur)
		}
	}()
	for _, elem := range elems[:len(elems)-1] {
		next, err := unix.Openat(cur, elem, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOTDIR {
			var st unix.Stat_t
			if unix.Fstatat(cur, elem, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				err = unix.ELOOP
			}
		}
		if err != nil {
			return -1, err
		}
		if cur != dirfd {
			unix.Close(cur)
		}
		cur = next
	}
	return unix.Openat(cur, elems[len(elems)-1], flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
}

// classify turns a lookup error into one wrapping ErrLink or ErrOutside where
// it is one; O_DIRECTORY|O_NOFOLLOW on a link fails with ENOTDIR, so a
// name's last component is looked at to tell.
func classify(dirfd int, name string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return fmt.Errorf("%w (%w)", ErrLink, err)
	case errors.Is(err, unix.EXDEV):
		return fmt.Errorf("%w (%w)", ErrOutside, err)
	case errors.Is(err, unix.ENOTDIR):
		if isLink(dirfd, name) {
			return fmt.Errorf("%w (%w)", ErrLink, err)
		}
	}
	return err
}

// isLink reports whether name (a host path with AT_FDCWD, else a clean name
// beneath dirfd) is a symbolic link.
func isLink(dirfd int, name string) bool {
	var st unix.Stat_t
	if dirfd == unix.AT_FDCWD {
		return unix.Lstat(name, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
	}
	fd, err := openat(dirfd, name, unix.O_PATH, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// open opens name beneath d as a raw descriptor, with errors naming the path.
func (d *Dir) open(name string, flags int, mode uint32) (int, string, error) {
	name, err := clean(name)
	if err != nil {
		return -1, "", fmt.Errorf("open %s: %w", d.path, err)
	}
	fd, err := openat(d.fd(), name, flags, mode)
	if err != nil {
		return -1, name, fmt.Errorf("open %s: %w", d.join(name), classify(d.fd(), name, err))
	}
	return fd, name, nil
}

// OpenFile opens name beneath d with flag (os.O_* values) and, when it
// creates the file, perm (before the umask). A symbolic link anywhere in
// name, the last component included, is refused. The caller closes the
// file. To open an existing file for someone else, see OpenExisting.
func (d *Dir) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	if flag&unix.O_PATH != 0 {
		return nil, fmt.Errorf("open %s: O_PATH: %w", d.join(name), unix.EINVAL)
	}
	fd, name, err := d.open(name, flag, uint32(perm.Perm()))
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), d.join(name)), nil
}

// OpenDir opens the directory name beneath d as a Dir of its own.
func (d *Dir) OpenDir(name string) (*Dir, error) {
	fd, name, err := d.open(name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	return &Dir{f: os.NewFile(uintptr(fd), d.join(name)), path: d.join(name)}, nil
}

// openPath opens name as an O_PATH descriptor and stats it; a link is
// refused with ErrLink.
func (d *Dir) openPath(name string) (int, string, *unix.Stat_t, error) {
	fd, name, err := d.open(name, unix.O_PATH, 0)
	if err != nil {
		return -1, name, nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, name, nil, fmt.Errorf("stat %s: %w", d.join(name), err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		unix.Close(fd)
		return -1, name, nil, fmt.Errorf("open %s: %w", d.join(name), ErrLink)
	}
	return fd, name, &st, nil
}
