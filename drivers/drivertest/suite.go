package drivertest

import (
	"context"
	"encoding/json"
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
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// defaultTimeout bounds each wait of a case unless Harness.Timeout is set.
const defaultTimeout = 10 * time.Second

// Run runs the conformance suite against the driver h launches: one subtest
// per group, one per case below it (go test -run 'TestX/recovery/').
func Run(t *testing.T, h Harness) {
	t.Helper()
	if err := checkSkips(h.Skip); err != nil {
		t.Fatal(err)
	}
	if h.FailCode == 0 {
		h.FailCode = 1
	}
	if h.Task == nil && h.ShellTask != nil {
		h.Task = shellTaskFor(h.ShellTask, h.FailCode)
	}
	if h.Task == nil {
		t.Fatal("drivertest.Harness: set Task (or ShellTask): the lifecycle and recovery cases need one")
	}
	if h.Timeout <= 0 {
		h.Timeout = defaultTimeout
	}
	s := &suite{h: h}
	s.plugin = s.launch(t)
	for _, g := range catalog() {
		t.Run(g.name, func(t *testing.T) {
			if reason, ok := h.Skip[g.name]; ok {
				t.Skipf("skipped by the harness: %s", reason)
			}
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					if reason, ok := h.Skip[g.name+"/"+c.name]; ok {
						t.Skipf("skipped by the harness: %s", reason)
					}
					if c.shell && h.ShellTask == nil {
						t.Skip("needs Harness.ShellTask: the driver runs no shell")
					}
					c.run(t, s)
				})
			}
		})
	}
}

type suite struct {
	h      Harness
	plugin *drivers.Plugin
	seq    atomic.Int64
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

// taskConfig builds a TaskConfig with its own alloc dir running script
// (a case that calls it needs ShellTask).
func (s *suite) taskConfig(t *testing.T, script string) *drivers.TaskConfig {
	t.Helper()
	return s.taskConfigRaw(t, s.h.ShellTask(script))
}

// taskConfigRaw builds a TaskConfig with its own alloc dir and config raw.
func (s *suite) taskConfigRaw(t *testing.T, raw json.RawMessage) *drivers.TaskConfig {
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
		Config:    raw,
		Resources: drivers.Resources{CPUShares: 100, MemoryMB: 64},
		AllocDir:  alloc,
		TaskDir:   td,
		Logs:      drivers.LogConfig{Dir: td.LogDir, MaxFiles: 2, MaxFileSizeMB: 1},
	}
}

// start starts script as a task and destroys it at cleanup.
func (s *suite) start(t *testing.T, script string) (*drivers.TaskConfig, *drivers.TaskHandle) {
	t.Helper()
	return s.startConfig(t, s.taskConfig(t, script))
}

// startTask starts a Harness.Task and destroys it at cleanup.
func (s *suite) startTask(t *testing.T, spec Task) (*drivers.TaskConfig, *drivers.TaskHandle) {
	t.Helper()
	return s.startConfig(t, s.taskConfigRaw(t, s.h.Task(spec)))
}

func (s *suite) startConfig(t *testing.T, cfg *drivers.TaskConfig) (*drivers.TaskConfig, *drivers.TaskHandle) {
	t.Helper()
	h, err := s.driver().StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask(%s): %v", cfg.Config, err)
	}
	d := s.driver()
	t.Cleanup(func() { _ = d.DestroyTask(cfg.ID, true) })
	return cfg, h
}

// wait waits (bounded) for the task to exit.
func (s *suite) wait(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask(%s) within %s: %v", id, s.h.Timeout, err)
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

// waitLog polls until the stream's log contains want (the task runs on
// the suite's plugin).
func (s *suite) waitLog(t *testing.T, cfg *drivers.TaskConfig, stream, want string) {
	t.Helper()
	s.waitLogOn(t, s.driver(), cfg, stream, want)
}

// waitLogOn polls until the stream's log contains want, for a task of d.
func (s *suite) waitLogOn(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig, stream, want string) {
	t.Helper()
	s.pollRunning(t, d, cfg.ID, fmt.Sprintf("%s log to contain %q", stream, want), func() bool {
		return strings.Contains(readLogs(cfg, stream), want)
	}, func() string { return fmt.Sprintf("its %s log holds %q", stream, tail(readLogs(cfg, stream))) })
}

// pollRunning polls cond like poll, but once the task has exited, cond has
// a second left to become true (output still being copied): a task that
// cannot do what the case waits for fails it then, not at the timeout.
// describe (may be nil) adds what was seen to the failure.
func (s *suite) pollRunning(t *testing.T, d drivers.Driver, id, what string, cond func() bool, describe func() string) {
	t.Helper()
	var exitedAt time.Time
	var exit *drivers.ExitResult
	s.poll(t, what, func() bool {
		if cond() {
			return true
		}
		if exitedAt.IsZero() {
			if st, err := d.InspectTask(id); err == nil && st.State == drivers.TaskStateExited {
				exitedAt, exit = time.Now(), st.ExitResult
			}
		} else if time.Since(exitedAt) > time.Second {
			seen := ""
			if describe != nil {
				seen = "; " + describe()
			}
			t.Fatalf("the task exited (%+v) before %s%s", exit, what, seen)
		}
		return false
	})
}

// poll calls cond until it is true, failing after the harness timeout.
func (s *suite) poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.UntilTrue(t, s.h.Timeout, what, cond)
}

func tail(s string) string {
	if len(s) > 200 {
		return "..." + s[len(s)-200:]
	}
	return s
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
