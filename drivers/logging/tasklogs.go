package logging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/beneath"
)

// Defaults when a LogConfig leaves a bound at zero (Nomad's).
const (
	DefaultMaxFiles      = 10
	DefaultMaxFileSizeMB = 10
)

// TaskLogs copies one task's stdout and stderr from their FIFOs into rotated
// files. Methods are safe for concurrent use.
type TaskLogs struct {
	// Stdout and Stderr are the task's ends of the FIFOs (read-write, so the
	// task never sees EPIPE): pass them to the child and call CloseChildEnds
	// once it has started. Nil after Reopen; /dev/null when logs are disabled.
	Stdout *os.File
	Stderr *os.File

	dir     *beneath.Dir // the log directory, open while copying
	fifos   []string     // names in dir
	readers []*os.File
	writers []*FileRotator
	wg      sync.WaitGroup
	doneCh  chan struct{}

	mu     sync.Mutex
	closed bool
	eof    int // copiers that reached EOF
	errs   []error
}

// FIFOPath is where the FIFO of a task's stream ("stdout" or "stderr") lives:
// a dot file next to the rotated files.
func FIFOPath(dir, taskName, stream string) string {
	return filepath.Join(dir, fifoName(taskName, stream))
}

func fifoName(taskName, stream string) string { return "." + taskName + "." + stream + ".fifo" }

// Open creates the FIFOs for a task about to start and begins copying them
// into dir/<task>.stdout.N and dir/<task>.stderr.N.
func Open(cfg drivers.LogConfig, taskName string) (*TaskLogs, error) {
	return open(cfg, taskName, true)
}

// Reopen resumes copying for a task started by an earlier driver process
// (whose FIFOs exist and are held by the task). Stdout and Stderr are nil.
// If the task has exited since, the copy drains what is left and ends.
func Reopen(cfg drivers.LogConfig, taskName string) (*TaskLogs, error) {
	return open(cfg, taskName, false)
}

func open(cfg drivers.LogConfig, taskName string, fresh bool) (_ *TaskLogs, err error) {
	if taskName == "" || strings.Contains(taskName, "/") {
		return nil, fmt.Errorf("logs: task name %q: must be a non-empty file name", taskName)
	}
	tl := &TaskLogs{doneCh: make(chan struct{})}
	if cfg.Disabled {
		close(tl.doneCh)
		if fresh {
			if tl.Stdout, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
				return nil, fmt.Errorf("logs: %w", err)
			}
			if tl.Stderr, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
				_ = tl.Stdout.Close()
				return nil, fmt.Errorf("logs: %w", err)
			}
		}
		return tl, nil
	}
	if cfg.Dir == "" {
		return nil, errors.New("logs.dir: required")
	}
	maxFiles, maxMB := cfg.MaxFiles, cfg.MaxFileSizeMB
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	if maxMB <= 0 {
		maxMB = DefaultMaxFileSizeMB
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("logs.dir: %w", err)
	}
	// Everything below is opened beneath the directory's descriptor with no
	// link followed: a task that can write there cannot redirect it.
	if tl.dir, err = beneath.Open(cfg.Dir); err != nil {
		return nil, fmt.Errorf("logs.dir: %w", err)
	}
	defer func() {
		if err != nil {
			tl.closeAll()
			_ = tl.dir.Close()
		}
	}()
	fifo := beneath.Want{Type: os.ModeNamedPipe, Owner: os.Geteuid()}
	for _, stream := range []string{"stdout", "stderr"} {
		name := fifoName(taskName, stream)
		if fresh {
			if err := tl.dir.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("logs: remove stale fifo: %w", err)
			}
			if err := tl.dir.Mkfifo(name, 0o600); err != nil {
				return nil, fmt.Errorf("logs: create fifo: %w", err)
			}
		}
		tl.fifos = append(tl.fifos, name)
		// Non-blocking open: it succeeds without a writer, and reads park in
		// the runtime poller instead of a thread.
		r, err := tl.dir.OpenExisting(name, os.O_RDONLY|syscall.O_NONBLOCK, fifo)
		if err != nil {
			return nil, fmt.Errorf("logs: open fifo: %w", err)
		}
		tl.readers = append(tl.readers, r)
		if fresh {
			// A separate, blocking open file description for the child: it
			// holds both ends, and its writes block rather than fail.
			f, err := tl.dir.OpenExisting(name, os.O_RDWR, fifo)
			if err != nil {
				return nil, fmt.Errorf("logs: open fifo for the task: %w", err)
			}
			if stream == "stdout" {
				tl.Stdout = f
			} else {
				tl.Stderr = f
			}
		}
		rot, err := NewFileRotator(cfg.Dir, taskName+"."+stream, maxFiles, int64(maxMB)<<20)
		if err != nil {
			return nil, fmt.Errorf("logs: %w", err)
		}
		tl.writers = append(tl.writers, rot)
	}
	tl.wg.Add(len(tl.readers))
	for i := range tl.readers {
		go tl.copy(tl.readers[i], tl.writers[i])
	}
	go func() {
		tl.wg.Wait()
		close(tl.doneCh)
	}()
	return tl, nil
}

func (tl *TaskLogs) copy(r *os.File, w io.Writer) {
	defer tl.wg.Done()
	_, err := io.Copy(w, r)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	switch {
	case err == nil:
		tl.eof++
	case errors.Is(err, os.ErrClosed) && tl.closed:
	default:
		tl.errs = append(tl.errs, err)
	}
}

// CloseChildEnds closes the driver's copies of the task's ends, once the
// task has started with them, so the copy ends when the task (and every
// process it shared them with) is gone.
func (tl *TaskLogs) CloseChildEnds() {
	for _, f := range []*os.File{tl.Stdout, tl.Stderr} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// Done is closed when both streams have been copied to the end (the task and
// its children closed them) or the copy stopped with Close.
func (tl *TaskLogs) Done() <-chan struct{} { return tl.doneCh }

// Close stops copying and closes the files; it does not wait for the task.
// When the copy had reached the end, the FIFOs are removed too. It returns
// the first copy error, if any.
func (tl *TaskLogs) Close() error {
	tl.mu.Lock()
	if tl.closed {
		tl.mu.Unlock()
		return nil
	}
	tl.closed = true
	tl.mu.Unlock()

	tl.closeAll()
	<-tl.doneCh

	tl.mu.Lock()
	defer tl.mu.Unlock()
	if tl.eof == len(tl.readers) {
		for _, name := range tl.fifos {
			_ = tl.dir.Remove(name)
		}
	}
	if tl.dir != nil {
		_ = tl.dir.Close()
	}
	if len(tl.errs) > 0 {
		return fmt.Errorf("logs: copy: %w", tl.errs[0])
	}
	return nil
}

func (tl *TaskLogs) closeAll() {
	for _, r := range tl.readers {
		_ = r.Close()
	}
	tl.wg.Wait()
	for _, w := range tl.writers {
		_ = w.Close()
	}
	tl.CloseChildEnds()
}
