package logging

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nomadlike/nomadlike/drivers/beneath"
)

// FileRotator is an io.WriteCloser over files dir/base.0, dir/base.1, ...: it
// moves to the next file when the current one reaches maxBytes and keeps at
// most maxFiles of them, deleting the oldest. It is safe for concurrent use.
//
// The directory may be writable by the task whose output it holds (a
// container running as root), so every file is opened beneath a descriptor
// of dir with no symbolic link followed (package beneath): a new file is
// created with O_EXCL after removing whatever was at its name, and an
// existing one is appended to only if it is a regular file of this process's
// user with a single hard link.
type FileRotator struct {
	dir      *beneath.Dir
	base     string
	maxFiles int
	maxBytes int64
	owner    int

	mu   sync.Mutex
	f    *os.File
	idx  int
	size int64
}

// NewFileRotator opens (or continues) the rotated files dir/base.N: it
// appends to the highest-numbered existing file if that is a file it could
// have written (see FileRotator) and otherwise starts the next number.
func NewFileRotator(dir, base string, maxFiles int, maxBytes int64) (*FileRotator, error) {
	if maxFiles < 1 {
		return nil, fmt.Errorf("max_files: must be at least 1, got %d", maxFiles)
	}
	if maxBytes < 1 {
		return nil, fmt.Errorf("max_file_size: must be positive, got %d", maxBytes)
	}
	if base == "" || base == "." || base == ".." || strings.Contains(base, "/") {
		return nil, fmt.Errorf("log file name %q: must be a plain file name", base)
	}
	d, err := beneath.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	r := &FileRotator{dir: d, base: base, maxFiles: maxFiles, maxBytes: maxBytes, owner: os.Geteuid()}
	if err := r.start(); err != nil {
		_ = d.Close()
		return nil, err
	}
	return r, nil
}

// start opens the file to write first and purges old ones.
func (r *FileRotator) start() error {
	indexes, err := r.indexes()
	if err != nil {
		return err
	}
	if len(indexes) > 0 {
		r.idx = indexes[len(indexes)-1]
		f, err := r.dir.OpenExisting(r.name(r.idx), os.O_WRONLY|os.O_APPEND, beneath.Want{Owner: r.owner})
		if err == nil {
			fi, err := f.Stat()
			if err != nil {
				_ = f.Close()
				return fmt.Errorf("stat log file: %w", err)
			}
			r.f, r.size = f, fi.Size()
		} else if !errors.Is(err, os.ErrNotExist) {
			r.idx++ // not ours to write: leave it and start afresh
		}
	}
	if r.f == nil {
		f, err := r.create(r.idx)
		if err != nil {
			return err
		}
		r.f, r.size = f, 0
	}
	if err := r.purge(); err != nil {
		_ = r.f.Close()
		return err
	}
	return nil
}

func (r *FileRotator) name(idx int) string {
	return r.base + "." + strconv.Itoa(idx)
}

// create makes a new, empty base.idx: whatever was at the name (an old
// file, a link someone planted) is removed, never followed, and the file is
// created with O_EXCL so that nothing planted meanwhile is opened instead.
func (r *FileRotator) create(idx int) (*os.File, error) {
	name := r.name(idx)
	for range 3 {
		if err := r.dir.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("replace log file: %w", err)
		}
		f, err := r.dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create log file: %w", err)
		}
	}
	return nil, fmt.Errorf("create log file %s: something keeps creating it: %w", name, os.ErrExist)
}

// indexes returns the N of every existing dir/base.N, ascending.
func (r *FileRotator) indexes() ([]int, error) {
	entries, err := r.dir.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("read log dir: %w", err)
	}
	var out []int
	prefix := r.base + "."
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || strconv.Itoa(n) != rest {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// purge deletes the files older than the newest maxFiles.
func (r *FileRotator) purge() error {
	indexes, err := r.indexes()
	if err != nil {
		return err
	}
	for _, n := range indexes {
		if n <= r.idx-r.maxFiles {
			if err := r.dir.Remove(r.name(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove old log file: %w", err)
			}
		}
	}
	return nil
}

// rotateLocked closes the current file and starts the next one.
func (r *FileRotator) rotateLocked() error {
	if err := r.f.Close(); err != nil {
		r.f = nil
		return fmt.Errorf("close log file: %w", err)
	}
	r.idx++
	f, err := r.create(r.idx)
	if err != nil {
		r.f = nil
		return err
	}
	r.f, r.size = f, 0
	return r.purge()
}

// Write writes p across as many files as it takes; no file grows past maxBytes.
func (r *FileRotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	written := 0
	for len(p) > 0 {
		if r.size >= r.maxBytes {
			if err := r.rotateLocked(); err != nil {
				return written, err
			}
		}
		chunk := p
		if room := r.maxBytes - r.size; int64(len(chunk)) > room {
			chunk = chunk[:room]
		}
		n, err := r.f.Write(chunk)
		written += n
		r.size += int64(n)
		if err != nil {
			return written, fmt.Errorf("write log file: %w", err)
		}
		p = p[n:]
	}
	return written, nil
}

// Close closes the current file; later writes fail with os.ErrClosed.
func (r *FileRotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dir == nil {
		return nil
	}
	var err error
	if r.f != nil {
		err = r.f.Close()
		r.f = nil
	}
	_ = r.dir.Close()
	r.dir = nil
	return err
}
