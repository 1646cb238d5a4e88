package logging

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

func waitDone(t *testing.T, tl *TaskLogs) {
	t.Helper()
	select {
	case <-tl.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("log copy did not finish")
	}
}

// startChild runs sh -c script with the task's ends as stdout and stderr.
func startChild(t *testing.T, tl *TaskLogs, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Stdout, cmd.Stderr = tl.Stdout, tl.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	tl.CloseChildEnds()
	return cmd
}

func readLog(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTaskLogsCopyToRotatedFiles(t *testing.T) {
	dir := t.TempDir()
	tl, err := Open(drivers.LogConfig{Dir: dir, MaxFiles: 2, MaxFileSizeMB: 1}, "web")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startChild(t, tl, "echo out; echo err >&2")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	waitDone(t, tl)
	if err := tl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := readLog(t, dir, "web.stdout.0"); got != "out\n" {
		t.Errorf("web.stdout.0 = %q, want %q", got, "out\n")
	}
	if got := readLog(t, dir, "web.stderr.0"); got != "err\n" {
		t.Errorf("web.stderr.0 = %q, want %q", got, "err\n")
	}
	if _, err := os.Stat(FIFOPath(dir, "web", "stdout")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fifo left after the task ended: %v", err)
	}
}

// TestTaskLogsSurviveReaderDeath stops the reader (as the driver process
// dying) while the task writes more than a pipe buffer: the task must not
// get EPIPE, and a reopened reader gets every line in order.
func TestTaskLogsSurviveReaderDeath(t *testing.T) {
	dir := t.TempDir()
	cfg := drivers.LogConfig{Dir: dir, MaxFiles: 3, MaxFileSizeMB: 5}
	tl, err := Open(cfg, "web")
	if err != nil {
		t.Fatal(err)
	}
	const lines = 40000 // about 230 KB, several pipe buffers
	cmd := startChild(t, tl, fmt.Sprintf("i=1; while [ $i -le %d ]; do echo $i; i=$((i+1)); done", lines))
	if err := tl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(FIFOPath(dir, "web", "stdout")); err != nil {
		t.Fatalf("fifo removed while the task runs: %v", err)
	}
	// With no reader, the task must block on the full pipe, not fail.
	poll.Until(t, 30*time.Second, "the task to block writing", func() (bool, string) {
		wchan, err := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", cmd.Process.Pid))
		if err != nil {
			t.Fatalf("task gone while no reader: %v", err)
		}
		if strings.Contains(string(wchan), "pipe_write") {
			return true, ""
		}
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)); strings.Contains(string(st), ") Z") {
			t.Fatal("task exited while no reader, want it blocked writing")
		}
		return false, fmt.Sprintf("wchan %q", wchan)
	})

	tl2, err := Reopen(cfg, "web")
	if err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if tl2.Stdout != nil || tl2.Stderr != nil {
		t.Error("Reopen returned task ends")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child ended with %v, want a clean exit (no EPIPE or SIGPIPE)", err)
	}
	waitDone(t, tl2)
	if err := tl2.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(readLog(t, dir, "web.stdout.0"), "\n"), "\n")
	if len(got) != lines {
		t.Fatalf("%d lines logged, want %d", len(got), lines)
	}
	for i, l := range got {
		if l != fmt.Sprint(i+1) {
			t.Fatalf("line %d = %q, want %d", i, l, i+1)
		}
	}
}

func TestTaskLogsReopenAfterTaskExit(t *testing.T) {
	dir := t.TempDir()
	cfg := drivers.LogConfig{Dir: dir}
	tl, err := Open(cfg, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.Close(); err != nil { // no task ever started; the ends are closed
		t.Fatal(err)
	}
	tl2, err := Reopen(cfg, "web")
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, tl2)
	if err := tl2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTaskLogsOpenErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  drivers.LogConfig
		task string
		want string
	}{
		{"no dir", drivers.LogConfig{}, "web", "logs.dir: required"},
		{"no task", drivers.LogConfig{Dir: "/tmp"}, "", "task name"},
		{"reopen without fifo", drivers.LogConfig{Dir: os.TempDir()}, "never-started-task", "open fifo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.name == "reopen without fifo" {
				_, err = Reopen(tc.cfg, tc.task)
			} else {
				_, err = Open(tc.cfg, tc.task)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestTaskLogsDisabled(t *testing.T) {
	dir := t.TempDir()
	tl, err := Open(drivers.LogConfig{Dir: dir, Disabled: true}, "web")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startChild(t, tl, "echo out; echo err >&2")
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, tl)
	_ = tl.Close()
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files written with logs disabled: %v", got)
	}
}
