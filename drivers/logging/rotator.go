package logging

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// FileRotator is an io.WriteCloser over files dir/base.0, dir/base.1, ...: it
// moves to the next file when the current one reaches maxBytes and keeps at
// most maxFiles of them, deleting the oldest. A new FileRotator continues
// the highest-numbered existing file. It is safe for concurrent use.
type FileRotator struct {
	dir      string
	base     string
	maxFiles int
	maxBytes int64

	mu   sync.Mutex
	f    *os.File
	idx  int
	size int64
}

// NewFileRotator opens (or continues) the rotated files dir/base.N.
func NewFileRotator(dir, base string, maxFiles int, maxBytes int64) (*FileRotator, error) {
	if maxFiles < 1 {
		return nil, fmt.Errorf("max_files: must be at least 1, got %d", maxFiles)
	}
	if maxBytes < 1 {
		return nil, fmt.Errorf("max_file_size: must be positive, got %d", maxBytes)
	}
	r := &FileRotator{dir: dir, base: base, maxFiles: maxFiles, maxBytes: maxBytes}
	indexes, err := r.indexes()
	if err != nil {
		return nil, err
	}
	if len(indexes) > 0 {
		r.idx = indexes[len(indexes)-1]
	}
	f, err := os.OpenFile(r.path(r.idx), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, fi.Size()
	if err := r.purge(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}

func (r *FileRotator) path(idx int) string {
	return filepath.Join(r.dir, r.base+"."+strconv.Itoa(idx))
}

// indexes returns the N of every existing dir/base.N, ascending.
func (r *FileRotator) indexes() ([]int, error) {
	entries, err := os.ReadDir(r.dir)
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
			if err := os.Remove(r.path(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove old log file: %w", err)
			}
		}
	}
	return nil
}

// rotateLocked closes the current file and starts the next one.
func (r *FileRotator) rotateLocked() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("close log file: %w", err)
	}
	r.idx++
	f, err := os.OpenFile(r.path(r.idx), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		r.f = nil
		return fmt.Errorf("open log file: %w", err)
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
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
