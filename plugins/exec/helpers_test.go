package exec

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/drivertest"
)

// testCgroupParent keeps this package's test cgroups apart from real ones and
// from concurrent test runs.
var testCgroupParent = fmt.Sprintf("nomadlike-exectest-%d", os.Getpid())

func TestMain(m *testing.M) {
	drivertest.ServeIfPlugin(New)
	if os.Getenv(suidHelperEnv) != "" {
		// A copy of this binary run as a task (see TestSetuidNoPrivilege).
		os.Exit(suidHelper())
	}
	code := m.Run()
	removeTestCgroupParents()
	os.Exit(code)
}

// removeTestCgroupParents removes the per-run parent cgroups (empty by now).
func removeTestCgroupParents() {
	dirs, _ := filepath.Glob(filepath.Join(cgroupFSRoot, "*", testCgroupParent))
	dirs = append(dirs, filepath.Join(cgroupFSRoot, testCgroupParent))
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

// requireRoot skips tests that need root and a cgroup hierarchy.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("exec driver tests need root")
	}
	if _, err := detectHierarchy(); err != nil {
		t.Skipf("exec driver tests need cgroups: %v", err)
	}
}

// allowRoot returns a copy of a plugin config with empty uid and gid
// denylists, for tests whose tasks run as root.
func allowRoot(pluginConfig map[string]any) map[string]any {
	out := map[string]any{"denied_host_uids": "", "denied_host_gids": ""}
	for k, v := range pluginConfig {
		out[k] = v
	}
	return out
}

// newTestDriver returns a configured driver whose tasks are destroyed when
// the test ends.
func newTestDriver(t testing.TB, pluginConfig map[string]any) *Driver {
	t.Helper()
	if pluginConfig == nil {
		pluginConfig = map[string]any{}
	}
	if _, ok := pluginConfig["cgroup_parent"]; !ok {
		pluginConfig["cgroup_parent"] = testCgroupParent
	}
	raw, err := json.Marshal(pluginConfig)
	if err != nil {
		t.Fatal(err)
	}
	d := New(hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}})).(*Driver)
	if err := d.SetConfig(&drivers.PluginConfig{Config: raw}); err != nil {
		t.Fatalf("SetConfig(%s) = %v", raw, err)
	}
	t.Cleanup(func() { destroyAll(t, d) })
	return d
}

func destroyAll(t testing.TB, d *Driver) {
	d.mu.Lock()
	var ids []string
	for id := range d.tasks {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	for _, id := range ids {
		if err := d.DestroyTask(id, true); err != nil {
			t.Errorf("DestroyTask(%s) = %v", id, err)
		}
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// newTaskConfig lays out an alloc dir as the client does and returns a task
// config running command with args as user (empty: the default, nobody).
func newTaskConfig(t testing.TB, name, user string, command string, args ...string) *drivers.TaskConfig {
	t.Helper()
	allocDir := filepath.Join(t.TempDir(), "alloc-"+name)
	taskDir := filepath.Join(allocDir, name)
	shared := filepath.Join(allocDir, "alloc")
	logDir := filepath.Join(shared, "logs")
	for _, d := range []string{taskDir, filepath.Join(taskDir, "local"), filepath.Join(taskDir, "secrets"), logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// t.TempDir is 0700; the chroot's root must be reachable by the task's
	// user, and the shared dir writable by every task, as the client makes it.
	for _, d := range []string{filepath.Dir(allocDir), allocDir, taskDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(map[string]any{"command": command, "args": args})
	if err != nil {
		t.Fatal(err)
	}
	allocID := fmt.Sprintf("a1b2c3d4-%08x", time.Now().UnixNano()&0xffffffff)
	return &drivers.TaskConfig{
		ID:        allocID + "/" + name + "/0",
		JobName:   "job",
		Name:      name,
		AllocID:   allocID,
		User:      user,
		Env:       map[string]string{"PATH": "/usr/bin:/bin", "NOMAD_TASK_NAME": name},
		Config:    cfg,
		Resources: drivers.Resources{CPUShares: 100, MemoryMB: 64},
		AllocDir:  allocDir,
		TaskDir: drivers.TaskDir{
			Dir:        taskDir,
			SharedDir:  shared,
			LocalDir:   filepath.Join(taskDir, "local"),
			SecretsDir: filepath.Join(taskDir, "secrets"),
			LogDir:     logDir,
		},
		Logs: drivers.LogConfig{Dir: logDir, MaxFiles: 2, MaxFileSizeMB: 1},
	}
}

// setTaskConfig replaces the task's driver config.
func setTaskConfig(t *testing.T, cfg *drivers.TaskConfig, c map[string]any) {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Config = raw
}

// waitTask waits (bounded) for the task's exit.
func waitTask(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask(%s) = %v", id, err)
	}
	return res
}

// runTask starts a task, waits for it and returns its result and stdout.
func runTask(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) (*drivers.ExitResult, string) {
	t.Helper()
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask(%s) = %v", cfg.ID, err)
	}
	res := waitTask(t, d, cfg.ID)
	return res, readLog(t, cfg, "stdout")
}

// readLog returns the task's first log file of stream.
func readLog(t *testing.T, cfg *drivers.TaskConfig, stream string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cfg.Logs.Dir, cfg.Name+"."+stream+".0"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
