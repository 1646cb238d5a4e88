package beneath

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// parent opens the directory that holds name and returns it with name's
// last component; the caller closes the descriptor unless it is d's own.
func (d *Dir) parent(name string) (pfd int, base, cleaned string, err error) {
	if cleaned, err = clean(name); err != nil {
		return -1, "", "", fmt.Errorf("%s: %w", d.path, err)
	}
	if cleaned == "." {
		return -1, "", cleaned, fmt.Errorf("%s: the directory itself: %w", d.path, unix.EINVAL)
	}
	dir, base := path.Split(cleaned)
	if dir == "" {
		return d.fd(), base, cleaned, nil
	}
	fd, _, err := d.open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, "", cleaned, err
	}
	return fd, base, cleaned, nil
}

func (d *Dir) closeParent(fd int) {
	if fd != d.fd() {
		unix.Close(fd)
	}
}

// MkdirAll creates the directory name and any missing parents beneath d
// with perm (before the umask); existing directories are left as they are.
// A symbolic link on the way is refused, never followed.
func (d *Dir) MkdirAll(name string, perm os.FileMode) error {
	cleaned, err := clean(name)
	if err != nil {
		return fmt.Errorf("mkdir %s: %w", d.path, err)
	}
	if cleaned == "." {
		return nil
	}
	cur, walked := d.fd(), ""
	defer func() { d.closeParent(cur) }()
	for _, elem := range strings.Split(cleaned, "/") {
		walked = path.Join(walked, elem)
		if err := unix.Mkdirat(cur, elem, uint32(perm.Perm())); err != nil && err != unix.EEXIST {
			return fmt.Errorf("mkdir %s: %w", d.join(walked), err)
		}
		next, err := unix.Openat(cur, elem, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			if err == unix.ENOTDIR && isLink(cur, elem) {
				return fmt.Errorf("mkdir %s: %w (%w)", d.join(walked), ErrLink, err)
			}
			return fmt.Errorf("mkdir %s: %w", d.join(walked), err)
		}
		d.closeParent(cur)
		cur = next
	}
	return nil
}

// Chmod sets the mode (permission, setuid, setgid and sticky bits) of name,
// which must not be a symbolic link.
func (d *Dir) Chmod(name string, mode os.FileMode) error {
	fd, cleaned, _, err := d.openPath(name)
	if err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	defer unix.Close(fd)
	m := uint32(mode.Perm())
	if mode&os.ModeSetuid != 0 {
		m |= unix.S_ISUID
	}
	if mode&os.ModeSetgid != 0 {
		m |= unix.S_ISGID
	}
	if mode&os.ModeSticky != 0 {
		m |= unix.S_ISVTX
	}
	// fchmodat2 (Linux 6.6) takes the O_PATH descriptor itself; older
	// kernels go through its /proc/self/fd link, which names the same file.
	err = unix.Fchmodat(fd, "", m, unix.AT_EMPTY_PATH)
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS || err == unix.EINVAL {
		err = unix.Chmod(procFD(fd), m)
	}
	if err != nil {
		return fmt.Errorf("chmod %s: %w", d.join(cleaned), err)
	}
	return nil
}

// Chown sets the owner and group of name, which must not be a symbolic link.
func (d *Dir) Chown(name string, uid, gid int) error {
	fd, cleaned, _, err := d.openPath(name)
	if err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
		return fmt.Errorf("chown %s: %w", d.join(cleaned), err)
	}
	return nil
}

// Stat describes name, which must not be a symbolic link.
func (d *Dir) Stat(name string) (os.FileInfo, error) {
	fd, cleaned, _, err := d.openPath(name)
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	f := os.NewFile(uintptr(fd), d.join(cleaned))
	defer f.Close()
	return f.Stat()
}

// ReadDir lists the directory name ("." for d itself), sorted by name.
// The entries' Info resolves paths normally: use Stat instead.
func (d *Dir) ReadDir(name string) ([]os.DirEntry, error) {
	sub, err := d.OpenDir(name)
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	entries, err := sub.f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", sub.path, err)
	}
	return entries, nil
}

// Remove removes the file, link or empty directory name; a link is removed
// itself, never what it points to.
func (d *Dir) Remove(name string) error {
	pfd, base, cleaned, err := d.parent(name)
	if err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	defer d.closeParent(pfd)
	err = unix.Unlinkat(pfd, base, 0)
	if err == unix.EISDIR {
		err = unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR)
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", d.join(cleaned), err)
	}
	return nil
}

// Rename renames oldname to newname, both beneath d; whatever newname was
// (a link included) is replaced, not followed.
func (d *Dir) Rename(oldname, newname string) error {
	opfd, obase, oclean, err := d.parent(oldname)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	defer d.closeParent(opfd)
	npfd, nbase, nclean, err := d.parent(newname)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	defer d.closeParent(npfd)
	if err := unix.Renameat(opfd, obase, npfd, nbase); err != nil {
		return fmt.Errorf("rename %s to %s: %w", d.join(oclean), d.join(nclean), err)
	}
	return nil
}

// Mkfifo creates the named pipe name with perm (before the umask); it fails
// if name exists, whatever it is.
func (d *Dir) Mkfifo(name string, perm os.FileMode) error {
	pfd, base, cleaned, err := d.parent(name)
	if err != nil {
		return fmt.Errorf("mkfifo: %w", err)
	}
	defer d.closeParent(pfd)
	if err := unix.Mkfifoat(pfd, base, uint32(perm.Perm())); err != nil {
		return fmt.Errorf("mkfifo %s: %w", d.join(cleaned), err)
	}
	return nil
}

// AnyOwner in Want.Owner accepts a file whoever owns it.
const AnyOwner = -1

// Want is what OpenExisting requires of a file before it opens it.
type Want struct {
	// Type is the file type: 0 for a regular file, os.ModeNamedPipe for a
	// FIFO, os.ModeDir for a directory.
	Type os.FileMode
	// Owner is the uid the file must have, or AnyOwner. The zero value
	// wants root.
	Owner int
}

// OpenExisting opens the existing file name with flag (os.O_* values,
// without os.O_CREATE) only if it is what want says, and, for a regular
// file, has exactly one hard link. It looks at the file through an O_PATH
// descriptor and then opens that very file through /proc/self/fd, so no
// other kind of file (a device, a FIFO) is ever opened, even for a moment.
// It fails with ErrLink, ErrFileType, ErrHardLinked or ErrOwner.
func (d *Dir) OpenExisting(name string, flag int, want Want) (*os.File, error) {
	if flag&(os.O_CREATE|unix.O_PATH) != 0 {
		return nil, fmt.Errorf("open %s: O_CREATE or O_PATH: %w", d.join(name), unix.EINVAL)
	}
	fd, cleaned, st, err := d.openPath(name)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	host := d.join(cleaned)
	if err := check(st, want); err != nil {
		return nil, fmt.Errorf("open %s: %w", host, err)
	}
	rfd, err := unix.Open(procFD(fd), flag|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s (through %s): %w", host, procFD(fd), err)
	}
	var again unix.Stat_t
	if err := unix.Fstat(rfd, &again); err != nil || again.Dev != st.Dev || again.Ino != st.Ino {
		unix.Close(rfd)
		return nil, fmt.Errorf("open %s: reopened another file: %w", host, ErrFileType)
	}
	return os.NewFile(uintptr(rfd), host), nil
}

// check compares a file's stat with want.
func check(st *unix.Stat_t, want Want) error {
	var typ os.FileMode
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		typ = os.ModeDir
	case unix.S_IFIFO:
		typ = os.ModeNamedPipe
	default:
		typ = os.ModeIrregular
	}
	if typ != want.Type.Type() {
		return fmt.Errorf("%w: %s, want %s", ErrFileType, typeName(typ), typeName(want.Type.Type()))
	}
	if typ == 0 && st.Nlink != 1 {
		return fmt.Errorf("%w (%d)", ErrHardLinked, st.Nlink)
	}
	if want.Owner != AnyOwner && int(st.Uid) != want.Owner {
		return fmt.Errorf("%w: uid %d, want %d", ErrOwner, st.Uid, want.Owner)
	}
	return nil
}

func typeName(t os.FileMode) string {
	switch t {
	case 0:
		return "regular file"
	case os.ModeDir:
		return "directory"
	case os.ModeNamedPipe:
		return "named pipe"
	}
	return "other file type"
}

// WriteFileAtomic writes data to name beneath d with mode perm: into a new
// temporary file next to it, then renamed over name, so readers never see
// half a file and a symbolic link at name is replaced, not followed.
// Missing parent directories are created with mode 0755.
func (d *Dir) WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	cleaned, err := clean(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.path, err)
	}
	dirName, base := path.Split(cleaned)
	if dirName == "" {
		dirName = "."
	}
	if err := d.MkdirAll(dirName, 0o755); err != nil {
		return err
	}
	pd, err := d.OpenDir(dirName)
	if err != nil {
		return err
	}
	defer pd.Close()
	var f *os.File
	var tmp string
	for range 3 {
		tmp = ".tmp-" + base + "-" + rand.Text()[:12]
		f, err = pd.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", d.join(cleaned), err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = pd.Remove(tmp)
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm.Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", d.join(cleaned), err)
	}
	if err := pd.Rename(tmp, base); err != nil {
		return fmt.Errorf("write %s: %w", d.join(cleaned), err)
	}
	ok = true
	return nil
}

func procFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }
