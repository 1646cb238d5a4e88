package drivertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// timeout bounds every wait in the suite.
const timeout = 30 * time.Second

// Run runs the conformance suite against the driver h launches.
func Run(t *testing.T, h Harness) {
	t.Helper()
	s := &suite{h: h}
	s.plugin = s.launch(t)
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := h.Skip[c.name]; ok {
				t.Skipf("skipped by the harness: %s", reason)
			}
			c.run(t, s)
		})
	}
}

type suite struct {
	h      Harness
	plugin *drivers.Plugin
	seq    atomic.Int64
}

type testCase struct {
	name string
	run  func(t *testing.T, s *suite)
}

func (s *suite) driver() drivers.Driver { return s.plugin.Driver() }

// launch starts a plugin process, configures it, and kills it at cleanup.
func (s *suite) launch(t *testing.T) *drivers.Plugin {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Name: "drivertest", Level: hclog.Warn, Output: os.Stderr})
	p, err := drivers.Launch(s.h.Plugin, logger)
	if err != nil {
		t.Fatalf("Launch(%s): %v", s.h.Plugin.Name, err)
	}
	t.Cleanup(p.Kill)
	if err := p.Driver().SetConfig(&drivers.PluginConfig{Config: s.h.PluginConfig, AgentVersion: "test", DataDir: t.TempDir()}); err != nil {
		t.Fatalf("SetConfig(%s): %v", s.h.PluginConfig, err)
	}
	return p
}

// taskConfig builds a TaskConfig with its own alloc dir running script.
func (s *suite) taskConfig(t *testing.T, script string) *drivers.TaskConfig {
	t.Helper()
	alloc := t.TempDir()
	n := s.seq.Add(1)
	taskDir := filepath.Join(alloc, "web")
	td := drivers.TaskDir{
		Dir:        taskDir,
		SharedDir:  filepath.Join(alloc, "alloc"),
		LocalDir:   filepath.Join(taskDir, "local"),
		SecretsDir: filepath.Join(taskDir, "secrets"),
		LogDir:     filepath.Join(alloc, "alloc", "logs"),
	}
	for _, d := range []string{td.LocalDir, td.SecretsDir, td.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	allocID := fmt.Sprintf("a%07d-0000-0000-0000-000000000000", n)
	return &drivers.TaskConfig{
		ID:            fmt.Sprintf("%s/web/%d", allocID, n),
		JobName:       "example",
		TaskGroupName: "group",
		Name:          "web",
		AllocID:       allocID,
		Namespace:     "default",
		Env: map[string]string{
			"PATH":           "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"NOMAD_TASK_DIR": td.LocalDir,
			"GREETING":       "hello from the suite",
		},
		Config:    s.h.ShellTask(script),
		Resources: drivers.Resources{CPUShares: 100, MemoryMB: 64},
		AllocDir:  alloc,
		TaskDir:   td,
		Logs:      drivers.LogConfig{Dir: td.LogDir, MaxFiles: 2, MaxFileSizeMB: 1},
	}
}

// start starts script as a task and destroys it at cleanup.
func (s *suite) start(t *testing.T, script string) (*drivers.TaskConfig, *drivers.TaskHandle) {
	t.Helper()
	cfg := s.taskConfig(t, script)
	h, err := s.driver().StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask(%q): %v", script, err)
	}
	d := s.driver()
	t.Cleanup(func() { _ = d.DestroyTask(cfg.ID, true) })
	return cfg, h
}

// wait waits (bounded) for the task to exit.
func wait(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask(%s): %v", id, err)
	}
	return res
}

// readLogs returns the kept rotated files of one stream, oldest first.
func readLogs(cfg *drivers.TaskConfig, stream string) string {
	prefix := cfg.Name + "." + stream + "."
	entries, _ := os.ReadDir(cfg.Logs.Dir)
	var idx []int
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), prefix); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				idx = append(idx, n)
			}
		}
	}
	sort.Ints(idx)
	var b strings.Builder
	for _, n := range idx {
		data, _ := os.ReadFile(filepath.Join(cfg.Logs.Dir, prefix+strconv.Itoa(n)))
		b.Write(data)
	}
	return b.String()
}

// waitLog polls until the stream's log contains want.
func waitLog(t *testing.T, cfg *drivers.TaskConfig, stream, want string) {
	t.Helper()
	poll(t, fmt.Sprintf("%s log to contain %q", stream, want), func() bool {
		return strings.Contains(readLogs(cfg, stream), want)
	})
}

// poll calls cond until it is true, failing after timeout.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pidAlive reports whether pid runs and is not a zombie.
func pidAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || !strings.HasPrefix(string(b[i+1:]), " Z")
}
