package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrBadType is returned for a log type other than stdout or stderr.
var ErrBadType = errors.New(`log type must be "stdout" or "stderr"`)

// Origins of an offset.
const (
	OriginStart = "start"
	OriginEnd   = "end"
)

// Options say what to stream.
type Options struct {
	// Dir is the allocation's log directory.
	Dir string
	// Task and Type (stdout or stderr) name the files.
	Task, Type string
	// Offset is in bytes from Origin (start by default).
	Origin string
	Offset int64
	// Follow keeps streaming new data until ctx ends or Done is closed
	// and everything written was sent.
	Follow bool
	Done   <-chan struct{}
	// PollInterval is how often a follow looks for new data (250ms).
	PollInterval time.Duration
}

// Chunk is one piece of a log file.
type Chunk struct {
	File   string // base name
	Offset int64  // of Data within File
	Data   []byte
}

type logFile struct {
	index int
	path  string
	size  int64
}

// list returns the task's files of one type, oldest first.
func list(dir, task, typ string) ([]logFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	prefix := task + "." + typ + "."
	var out []logFile
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		idx, err := strconv.Atoi(n)
		if err != nil || idx < 0 {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, logFile{index: idx, path: filepath.Join(dir, e.Name()), size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out, nil
}

// Stream sends the log to emit chunk by chunk. It returns nil at the end of
// a non-following stream, and ctx's error (or nil once Done is closed and
// drained) when following.
func Stream(ctx context.Context, opts Options, emit func(Chunk) error) error {
	if opts.Type != "stdout" && opts.Type != "stderr" {
		return fmt.Errorf("%q: %w", opts.Type, ErrBadType)
	}
	poll := opts.PollInterval
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	files, err := list(opts.Dir, opts.Task, opts.Type)
	if err != nil {
		return err
	}
	// Find the starting file and position.
	cur, pos := -1, int64(0)
	if len(files) > 0 {
		var skip int64
		if opts.Origin == OriginEnd {
			var total int64
			for _, f := range files {
				total += f.size
			}
			skip = max(total-opts.Offset, 0)
		} else {
			skip = max(opts.Offset, 0)
		}
		cur, pos = files[len(files)-1].index, files[len(files)-1].size
		for _, f := range files {
			if skip <= f.size {
				cur, pos = f.index, skip
				break
			}
			skip -= f.size
		}
	}

	buf := make([]byte, 32<<10)
	for {
		if cur >= 0 {
			path := filepath.Join(opts.Dir, fmt.Sprintf("%s.%s.%d", opts.Task, opts.Type, cur))
			n, err := drain(path, pos, buf, emit)
			if err != nil {
				return err
			}
			pos += n
		}
		// Move on when a newer file exists; drain the current one again
		// first, since it may have grown before the rotation.
		files, err := list(opts.Dir, opts.Task, opts.Type)
		if err != nil {
			return err
		}
		next := -1
		for _, f := range files {
			if f.index > cur {
				next = f.index
				break
			}
		}
		if next >= 0 {
			if cur >= 0 {
				path := filepath.Join(opts.Dir, fmt.Sprintf("%s.%s.%d", opts.Task, opts.Type, cur))
				if _, err := drain(path, pos, buf, emit); err != nil {
					return err
				}
			}
			cur, pos = next, 0
			continue
		}
		if !opts.Follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-opts.Done:
			// One more pass picks up what was written before Done.
			opts.Done, opts.Follow = nil, false
		case <-time.After(poll):
		}
	}
}

// drain emits path from pos to its current end and returns the bytes sent.
// A file removed by rotation is treated as empty.
func drain(path string, pos int64, buf []byte, emit func(Chunk) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	defer f.Close()
	var sent int64
	for {
		n, err := f.ReadAt(buf, pos+sent)
		if n > 0 {
			if eerr := emit(Chunk{File: filepath.Base(path), Offset: pos + sent, Data: append([]byte(nil), buf[:n]...)}); eerr != nil {
				return sent, eerr
			}
			sent += int64(n)
		}
		if err == io.EOF {
			return sent, nil
		}
		if err != nil {
			return sent, err
		}
	}
}
