package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/drivers/beneath"
)

// ErrBadType is returned for a log type other than stdout or stderr.
var ErrBadType = errors.New(`log type must be "stdout" or "stderr"`)

// ErrRefusedFile is returned for a log file (or directory) that is not one
// a driver wrote: a symbolic link, another kind of file, a file with more
// than one hard link or of another user than the agent's. Only a task able
// to write to the log directory can put one there.
var ErrRefusedFile = errors.New("log file refused")

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
	DoneCh <-chan struct{}
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
	name  string
	size  int64
}

// logDir is the log directory, opened once it exists: every file in it is
// opened beneath its descriptor (package beneath), so a link a task planted
// there is refused, never followed.
type logDir struct {
	path string
	d    *beneath.Dir
}

// get returns the open directory, or nil while it does not exist yet.
func (l *logDir) get() (*beneath.Dir, error) {
	if l.d == nil {
		d, err := beneath.Open(l.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, refused(err)
		}
		l.d = d
	}
	return l.d, nil
}

func (l *logDir) close() {
	if l.d != nil {
		_ = l.d.Close()
	}
}

// list returns the task's files of one type, oldest first. Entries that are
// not regular files (links, FIFOs, directories) are left out.
func (l *logDir) list(task, typ string) ([]logFile, error) {
	d, err := l.get()
	if d == nil || err != nil {
		return nil, err
	}
	entries, err := d.ReadDir(".")
	if err != nil {
		return nil, err
	}
	prefix := task + "." + typ + "."
	var out []logFile
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		idx, err := strconv.Atoi(n)
		if err != nil || idx < 0 {
			continue
		}
		fi, err := d.Stat(e.Name())
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, logFile{index: idx, name: e.Name(), size: fi.Size()})
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
	dir := &logDir{path: opts.Dir}
	defer dir.close()
	files, err := dir.list(opts.Task, opts.Type)
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
			n, err := dir.drain(fileName(opts, cur), pos, buf, emit)
			if err != nil {
				return err
			}
			pos += n
		}
		// Move on when a newer file exists; drain the current one again
		// first, since it may have grown before the rotation.
		files, err := dir.list(opts.Task, opts.Type)
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
				if _, err := dir.drain(fileName(opts, cur), pos, buf, emit); err != nil {
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
		case <-opts.DoneCh:
			// One more pass picks up what was written before Done.
			opts.DoneCh, opts.Follow = nil, false
		case <-time.After(poll):
		}
	}
}

// refused wraps err with ErrRefusedFile when package beneath refused the
// file for what it is.
func refused(err error) error {
	for _, e := range []error{beneath.ErrLink, beneath.ErrOutside, beneath.ErrFileType, beneath.ErrHardLinked, beneath.ErrOwner} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: %w", ErrRefusedFile, err)
		}
	}
	return err
}

func fileName(opts Options, index int) string {
	return fmt.Sprintf("%s.%s.%d", opts.Task, opts.Type, index)
}

// drain emits the file name from pos to its current end and returns the
// bytes sent. A file removed by rotation is treated as empty. It opens only
// a regular file of this process's user with a single hard link (what a
// driver plugin the agent started creates), else fails with ErrRefusedFile.
func (l *logDir) drain(name string, pos int64, buf []byte, emit func(Chunk) error) (int64, error) {
	d, err := l.get()
	if d == nil || err != nil {
		return 0, err
	}
	f, err := d.OpenExisting(name, os.O_RDONLY, beneath.Want{Owner: os.Geteuid()})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, refused(err)
	}
	defer f.Close()
	var sent int64
	for {
		n, err := f.ReadAt(buf, pos+sent)
		if n > 0 {
			if eerr := emit(Chunk{File: name, Offset: pos + sent, Data: append([]byte(nil), buf[:n]...)}); eerr != nil {
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
