package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/logging"
)

// task is one sleeping task: a timer, ended early by stop.
type task struct {
	cfg       *drivers.TaskConfig
	startedAt time.Time
	doneCh    chan struct{}
	stopCh    chan int

	mu          sync.Mutex
	res         *drivers.ExitResult
	completedAt time.Time
	stopOnce    sync.Once
}

// newTask starts the task's timer: it ends at st.StartedAt plus the sleep,
// which may be now for a recovered task whose time has passed.
func newTask(cfg *drivers.TaskConfig, st driverState) *task {
	t := &task{cfg: cfg, startedAt: st.StartedAt, doneCh: make(chan struct{}), stopCh: make(chan int, 1)}
	go t.run(time.Until(st.StartedAt.Add(st.Config.duration())), st.Config.exitCode())
	return t
}

func (t *task) run(left time.Duration, code int) {
	timer := time.NewTimer(max(left, 0))
	defer timer.Stop()
	res := &drivers.ExitResult{ExitCode: code}
	select {
	case <-timer.C:
	case sig := <-t.stopCh:
		res = &drivers.ExitResult{Signal: sig}
	}
	t.mu.Lock()
	t.res, t.completedAt = res, time.Now()
	t.mu.Unlock()
	close(t.doneCh)
}

// stop ends the task as if signal sig had killed it.
func (t *task) stop(sig int) {
	t.stopOnce.Do(func() { t.stopCh <- sig })
}

func (t *task) result() *drivers.ExitResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.res
}

func (t *task) status() *drivers.TaskStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &drivers.TaskStatus{ID: t.cfg.ID, Name: t.cfg.Name, State: drivers.TaskStateRunning, StartedAt: t.startedAt}
	if t.res != nil {
		st.State, st.ExitResult, st.CompletedAt = drivers.TaskStateExited, t.res, t.completedAt
	}
	return st
}

// writeLine writes line to the task's stdout log, a rotated file as a
// process's output would be: LogDir/<task>.stdout.0. An empty stderr log
// is created too, so `alloc logs -stderr` finds one.
func writeLine(cfg *drivers.TaskConfig, line string) error {
	maxFiles, maxMB := cfg.Logs.MaxFiles, cfg.Logs.MaxFileSizeMB
	if maxFiles <= 0 {
		maxFiles = 10 // Nomad's logs { max_files } default
	}
	if maxMB <= 0 {
		maxMB = 10 // Nomad's logs { max_file_size } default, in MB
	}
	for _, stream := range []string{"stdout", "stderr"} {
		w, err := logging.NewFileRotator(cfg.Logs.Dir, cfg.Name+"."+stream, maxFiles, int64(maxMB)<<20)
		if err != nil {
			return fmt.Errorf("logs: %w", err)
		}
		if stream == "stdout" && line != "" {
			_, err = fmt.Fprintln(w, line)
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("logs: %s: %w", stream, err)
		}
	}
	return nil
}
