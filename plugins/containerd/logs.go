package containerd

import (
	"fmt"
	"os"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/logging"
)

// taskLogs are the rotated stdout and stderr files of one task. containerd's
// shim writes the container's output into FIFOs; the client library copies
// them into these writers in the driver process, so no per-task helper
// process is needed. After a driver restart, RecoverTask reattaches to the
// same FIFOs and the rotators continue the highest-numbered files.
type taskLogs struct {
	stdout *logging.FileRotator
	stderr *logging.FileRotator
}

func openTaskLogs(cfg *drivers.TaskConfig) (*taskLogs, error) {
	lc := cfg.Logs
	if lc.Dir == "" {
		lc.Dir = cfg.TaskDir.LogDir
	}
	if lc.Dir == "" {
		return nil, fmt.Errorf("task %s: no log directory", cfg.Name)
	}
	if lc.MaxFiles < 1 {
		lc.MaxFiles = 10
	}
	if lc.MaxFileSizeMB < 1 {
		lc.MaxFileSizeMB = 10
	}
	if err := os.MkdirAll(lc.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("task %s: log directory: %w", cfg.Name, err)
	}
	size := int64(lc.MaxFileSizeMB) << 20
	stdout, err := logging.NewFileRotator(lc.Dir, cfg.Name+".stdout", lc.MaxFiles, size)
	if err != nil {
		return nil, fmt.Errorf("task %s: stdout log: %w", cfg.Name, err)
	}
	stderr, err := logging.NewFileRotator(lc.Dir, cfg.Name+".stderr", lc.MaxFiles, size)
	if err != nil {
		stdout.Close()
		return nil, fmt.Errorf("task %s: stderr log: %w", cfg.Name, err)
	}
	return &taskLogs{stdout: stdout, stderr: stderr}, nil
}

// Close closes both files.
func (l *taskLogs) Close() error {
	err1 := l.stdout.Close()
	err2 := l.stderr.Close()
	if err1 != nil {
		return err1
	}
	return err2
}
