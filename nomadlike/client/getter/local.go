package getter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
)

// localSource is a local file or directory opened for reading: exactly one
// of file and dir is set.
type localSource struct {
	file *os.File
	dir  *os.Root
	name string
	mode fs.FileMode
}

func (s *localSource) Close() {
	if s.file != nil {
		s.file.Close()
	}
	if s.dir != nil {
		s.dir.Close()
	}
}

// openLocal opens a path or file:// source. A relative path is taken from
// the task directory, as Nomad's getter does. With filesystem isolation on
// (the default) the path must lie inside the task directory or the shared
// alloc directory, and it is opened below that directory without following
// a link out of it; anything else is ErrSourceNotAllowed. With isolation
// off any host path is opened. Only regular files and directories are
// fetched: a FIFO or device would block or never end.
func (g *Getter) openLocal(p string, ad *allocdir.AllocDir, taskDir string) (*localSource, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(taskDir, p)
	}
	p = filepath.Clean(p)
	if g.cfg.DisableFilesystemIsolation {
		return openLocalIn(nil, p, false)
	}
	if root, rel, err := sandboxRoot(ad, taskDir, p); err != nil {
		return nil, err
	} else if root != nil {
		defer root.Close()
		return openLocalIn(root, rel, true)
	}
	return nil, fmt.Errorf("%w: it is outside the task directory (%s) and the alloc directory (%s); "+
		"the client config client { artifact { disable_filesystem_isolation = true } } allows host paths", ErrSourceNotAllowed, taskDir, ad.SharedDir())
}

// openLocalIn opens name below root, or anywhere when root is nil. When
// sandboxed, a file with more than one hard link is refused: the task may
// have linked a host file into its directory (fs.protected_hardlinks off),
// and no link check can see where else a hard link's inode is named.
func openLocalIn(root *os.Root, name string, sandboxed bool) (*localSource, error) {
	openFile, openRoot := os.OpenFile, os.OpenRoot
	if root != nil {
		openFile, openRoot = root.OpenFile, root.OpenRoot
	}
	f, err := openFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if root != nil && !errors.Is(err, fs.ErrNotExist) {
			// Below a root, the open fails this way for a link out of it.
			return nil, fmt.Errorf("%w: %w", ErrSourceNotAllowed, err)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case fi.Mode().IsRegular():
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && sandboxed && st.Nlink > 1 {
			f.Close()
			return nil, fmt.Errorf("%w: %s has %d hard links, and one may name a file outside the allocation", ErrSourceNotAllowed, name, st.Nlink)
		}
		return &localSource{file: f, name: filepath.Base(name), mode: fi.Mode()}, nil
	case fi.IsDir():
		f.Close()
		r, err := openRoot(name)
		if err != nil {
			return nil, err
		}
		return &localSource{dir: r, name: filepath.Base(name), mode: fi.Mode()}, nil
	}
	f.Close()
	return nil, fmt.Errorf("%w: %s is %v, not a regular file or a directory", ErrUnsupportedSource, name, fi.Mode().Type())
}

// sandboxRoot opens the directory that holds the host path p and may be
// used for a task's artifacts, the task directory or the shared alloc
// directory, and returns p relative to it. Both are chosen by name: links
// are then followed only inside the returned root. It returns a nil root
// when p is in neither.
func sandboxRoot(ad *allocdir.AllocDir, taskDir, p string) (*os.Root, string, error) {
	for _, dir := range []string{taskDir, ad.SharedDir()} {
		rel, err := filepath.Rel(dir, p)
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			continue
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, "", err
		}
		return root, rel, nil
	}
	return nil, "", nil
}
