package allocfs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// MaxListEntries is the most entries List returns for one directory.
const MaxListEntries = 10000

// MaxReadAt is the largest limit a readat request may ask for.
const MaxReadAt = 64 << 20

var (
	// ErrBadPath is returned for a path with a ".." component or a NUL.
	ErrBadPath = errors.New("invalid path")
	// ErrRefused is returned for a path the API does not serve: through or
	// to a symbolic link, a secrets directory, a file that is not regular
	// or has several hard links.
	ErrRefused = errors.New("path refused")
	// ErrTooManyEntries is returned by List for a directory larger than
	// MaxListEntries.
	ErrTooManyEntries = errors.New("directory too large to list")
)

// FileInfo is Nomad's AllocFileInfo.
type FileInfo = api.AllocFileInfo

// FS is one allocation directory. It is safe for concurrent use until
// Close.
type FS struct {
	root *beneath.Dir
}

// Open opens the allocation directory dir (its last component must not be
// a link). The caller closes the FS.
func Open(dir string) (*FS, error) {
	root, err := beneath.Open(dir)
	if err != nil {
		return nil, err
	}
	return &FS{root: root}, nil
}

// Close closes the directory.
func (f *FS) Close() error { return f.root.Close() }

// Clean turns an API path into a name relative to the allocation
// directory ("." for the directory itself), or fails with ErrBadPath or
// ErrRefused.
func Clean(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w %q: NUL byte", ErrBadPath, p)
	}
	rel := strings.TrimLeft(p, "/")
	if rel == "" {
		return ".", nil
	}
	for _, elem := range strings.Split(rel, "/") {
		if elem == ".." {
			return "", fmt.Errorf("%w %q: a \"..\" component leaves the allocation directory", ErrBadPath, p)
		}
	}
	rel = path.Clean(rel)
	if parts := strings.Split(rel, "/"); len(parts) >= 2 && parts[1] == "secrets" {
		return "", fmt.Errorf("%w %q: reading a task's secrets directory is prohibited", ErrRefused, p)
	}
	return rel, nil
}

// refuse wraps beneath's refusals with ErrRefused.
func refuse(p string, err error) error {
	for _, e := range []error{beneath.ErrLink, beneath.ErrOutside, beneath.ErrFileType, beneath.ErrHardLinked} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w %q: %w (the fs API follows no symbolic link)", ErrRefused, p, err)
		}
	}
	return err
}

// openDir opens the directory rel as an *os.File, refusing links.
func (f *FS) openDir(p, rel string) (*os.File, error) {
	d, err := f.root.OpenExisting(rel, os.O_RDONLY|unix.O_DIRECTORY, beneath.Want{Type: os.ModeDir, Owner: beneath.AnyOwner})
	if err != nil {
		return nil, refuse(p, err)
	}
	return d, nil
}

// lstat describes name in the open directory dir without following it.
func lstat(dir *os.File, name string) (FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return FileInfo{}, &os.PathError{Op: "stat", Path: path.Join(dir.Name(), name), Err: err}
	}
	mode := fileMode(st.Mode)
	return FileInfo{
		Name:     name,
		IsDir:    mode.IsDir(),
		Size:     st.Size,
		FileMode: mode.String(),
		ModTime:  time.Unix(st.Mtim.Unix()).UTC(),
	}, nil
}

// fileMode converts a stat mode to an os.FileMode.
func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= os.ModeDir
	case unix.S_IFLNK:
		mode |= os.ModeSymlink
	case unix.S_IFIFO:
		mode |= os.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= os.ModeSocket
	case unix.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		mode |= os.ModeDevice
	}
	if m&unix.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// List describes the entries of directory p, sorted by name. Links are
// listed as links (FileMode "L..."), not followed. It fails with
// ErrTooManyEntries past MaxListEntries, having read at most one batch
// more.
func (f *FS) List(p string) ([]FileInfo, error) {
	rel, err := Clean(p)
	if err != nil {
		return nil, err
	}
	dir, err := f.openDir(p, rel)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	var names []string
	for {
		batch, err := dir.Readdirnames(1024)
		names = append(names, batch...)
		if len(names) > MaxListEntries {
			return nil, fmt.Errorf("%w: %q has more than %d entries", ErrTooManyEntries, p, MaxListEntries)
		}
		if errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", p, err)
		}
	}
	out := make([]FileInfo, 0, len(names))
	for _, n := range names {
		fi, err := lstat(dir, n)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	sortInfos(out)
	return out, nil
}

func sortInfos(s []FileInfo) {
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
}

// Stat describes p without following it (a link is described as a link),
// with the ContentType of a regular file's first 512 bytes.
func (f *FS) Stat(p string) (FileInfo, error) {
	rel, err := Clean(p)
	if err != nil {
		return FileInfo{}, err
	}
	parent, base := path.Split(rel)
	if parent == "" {
		parent = "."
	}
	dir, err := f.openDir(p, strings.TrimSuffix(parent, "/"))
	if err != nil {
		return FileInfo{}, err
	}
	defer dir.Close()
	fi, err := lstat(dir, base)
	if err != nil {
		return FileInfo{}, err
	}
	if base == "." {
		fi.Name = "/"
		if rel != "." {
			fi.Name = path.Base(rel)
		}
	}
	if !fi.IsDir && strings.HasPrefix(fi.FileMode, "-") {
		if file, err := f.Open(p); err == nil {
			var head [512]byte
			n, _ := io.ReadFull(file, head[:])
			fi.ContentType = http.DetectContentType(head[:n])
			file.Close()
		}
	}
	return fi, nil
}

// Open opens the regular file p for reading: it fails with ErrRefused for
// a link anywhere in p, a directory, a FIFO, a device or a file with
// several hard links. The caller closes the file.
func (f *FS) Open(p string) (*os.File, error) {
	rel, err := Clean(p)
	if err != nil {
		return nil, err
	}
	file, err := f.root.OpenExisting(rel, os.O_RDONLY, beneath.Want{Owner: beneath.AnyOwner})
	if err != nil {
		return nil, refuse(p, err)
	}
	return file, nil
}
