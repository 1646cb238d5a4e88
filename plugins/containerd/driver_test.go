package containerd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	ctrd "github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/containerd/ctrdtest"
)

const (
	testNamespace = "nomadlike-test"
	testImage     = "docker.io/library/busybox:test"
)

// env is one daemon shared by the subtests: starting containerd takes
// seconds, and each subtest uses its own task IDs.
type env struct {
	daemon  *ctrdtest.Daemon
	archive string
	dataDir string
}

func (e *env) driver(t *testing.T, extra map[string]any) drivers.Driver {
	t.Helper()
	cfg := map[string]any{"address": e.daemon.Address, "namespace": testNamespace, "pull_timeout": "3s",
		"image_archive_dirs": []string{filepath.Dir(e.archive)}}
	for k, v := range extra {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	d := ctrd.New(hclog.NewNullLogger())
	if err := d.SetConfig(&drivers.PluginConfig{Config: raw, DataDir: e.dataDir}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	return d
}

// task builds a TaskConfig with its own alloc dir layout.
func (e *env) task(t *testing.T, name string, cfg map[string]any) *drivers.TaskConfig {
	t.Helper()
	if _, ok := cfg["image"]; !ok {
		cfg["image"] = testImage
	}
	if _, ok := cfg["image_archive"]; !ok {
		cfg["image_archive"] = e.archive
	}
	raw, _ := json.Marshal(cfg)
	alloc := t.TempDir()
	dirs := drivers.TaskDir{
		Dir:        filepath.Join(alloc, name),
		SharedDir:  filepath.Join(alloc, "alloc"),
		LocalDir:   filepath.Join(alloc, name, "local"),
		SecretsDir: filepath.Join(alloc, name, "secrets"),
		LogDir:     filepath.Join(alloc, "alloc", "logs"),
	}
	for _, d := range []string{dirs.Dir, dirs.SharedDir, dirs.LocalDir, dirs.SecretsDir, dirs.LogDir} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	allocID := strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-")
	return &drivers.TaskConfig{
		ID:        allocID + "/" + name + "/0",
		JobName:   "job",
		Name:      name,
		AllocID:   allocID,
		Env:       map[string]string{"GREETING": "hello", "NOMAD_ALLOC_DIR": dirs.SharedDir, "NOMAD_TASK_DIR": dirs.LocalDir},
		Config:    raw,
		Resources: drivers.Resources{CPUShares: 100, MemoryMB: 64},
		AllocDir:  alloc,
		TaskDir:   dirs,
		Logs:      drivers.LogConfig{Dir: dirs.LogDir, MaxFiles: 2, MaxFileSizeMB: 1},
	}
}

func wait(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask(%s): %v", id, err)
	}
	return res
}

func readLog(t *testing.T, cfg *drivers.TaskConfig, stream string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cfg.Logs.Dir, cfg.Name+"."+stream+".0"))
	if err != nil {
		t.Fatalf("read %s log: %v", stream, err)
	}
	return string(b)
}

func destroy(t *testing.T, d drivers.Driver, id string) {
	t.Helper()
	if err := d.DestroyTask(id, true); err != nil {
		t.Errorf("DestroyTask(%s): %v", id, err)
	}
}

func TestContainerdDriver(t *testing.T) {
	e := &env{daemon: ctrdtest.Start(t, testNamespace), dataDir: t.TempDir()}
	e.archive = ctrdtest.BusyboxArchive(t, t.TempDir(), testImage)

	t.Run("fingerprint", func(t *testing.T) {
		fp, err := e.driver(t, nil).Fingerprint(context.Background())
		if err != nil || fp.Health != drivers.HealthHealthy || fp.Attributes["containerd_version"] == "" {
			t.Fatalf("Fingerprint() = %+v, %v; want healthy with a version", fp, err)
		}
		down := e.driver(t, map[string]any{"address": filepath.Join(t.TempDir(), "nope.sock")})
		fp, err = down.Fingerprint(context.Background())
		if err != nil || fp.Health != drivers.HealthUnhealthy {
			t.Fatalf("Fingerprint() with no daemon = %+v, %v; want unhealthy", fp, err)
		}
	})

	t.Run("batch task completes with its output logged", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "hello", map[string]any{
			"command": "sh",
			"args":    []string{"-c", `echo "$GREETING from $(hostname)"; echo to-stderr >&2; echo shared > $NOMAD_ALLOC_DIR/out`},
		})
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatalf("StartTask: %v", err)
		}
		defer destroy(t, d, cfg.ID)
		res := wait(t, d, cfg.ID)
		if !res.Successful() {
			t.Fatalf("exit = %+v, want success", res)
		}
		if got := readLog(t, cfg, "stdout"); got != "hello from hello\n" {
			t.Errorf("stdout = %q, want %q", got, "hello from hello\n")
		}
		if got := readLog(t, cfg, "stderr"); got != "to-stderr\n" {
			t.Errorf("stderr = %q", got)
		}
		if b, err := os.ReadFile(filepath.Join(cfg.TaskDir.SharedDir, "out")); err != nil || string(b) != "shared\n" {
			t.Errorf("file written to /alloc = %q, %v; want it in the alloc dir on the host", b, err)
		}
	})

	t.Run("exit code propagates", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "fail", map[string]any{"command": "sh", "args": []string{"-c", "exit 3"}})
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, d, cfg.ID)
		if res := wait(t, d, cfg.ID); res.ExitCode != 3 || res.OOMKilled {
			t.Fatalf("exit = %+v, want code 3", res)
		}
	})

	t.Run("stop sends the kill signal", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "svc", map[string]any{"command": "sh", "args": []string{"-c",
			`trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.1; done`}})
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, d, cfg.ID)
		waitForLog(t, cfg, "ready")
		if err := d.StopTask(cfg.ID, 10*time.Second, "SIGTERM"); err != nil {
			t.Fatalf("StopTask: %v", err)
		}
		res := wait(t, d, cfg.ID)
		if res.ExitCode != 0 || res.Signal != 0 {
			t.Errorf("exit = %+v, want a clean exit from the TERM trap", res)
		}
		if got := readLog(t, cfg, "stdout"); !strings.Contains(got, "got TERM") {
			t.Errorf("stdout = %q, want the trap's output", got)
		}
	})

	t.Run("stop kills after the timeout", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "stubborn", map[string]any{"command": "sh", "args": []string{"-c",
			`trap '' INT TERM; echo ready; while true; do sleep 0.1; done`}})
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, d, cfg.ID)
		waitForLog(t, cfg, "ready")
		if err := d.StopTask(cfg.ID, 500*time.Millisecond, ""); err != nil {
			t.Fatalf("StopTask: %v", err)
		}
		if res := wait(t, d, cfg.ID); res.Signal != int(syscall.SIGKILL) {
			t.Errorf("exit = %+v, want SIGKILL", res)
		}
	})

	t.Run("over its memory limit the container is OOM killed", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "hog", map[string]any{"command": "dd", "args": []string{"if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"}})
		cfg.Resources.MemoryMB = 16
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, d, cfg.ID)
		if res := wait(t, d, cfg.ID); !res.OOMKilled {
			t.Fatalf("exit = %+v, want OOMKilled", res)
		}
	})

	t.Run("recover reattaches to the running container", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "long", map[string]any{"command": "sh", "args": []string{"-c",
			`echo before; trap 'echo after; exit 0' TERM; while true; do sleep 0.1; done`}})
		h, err := d.StartTask(cfg)
		if err != nil {
			t.Fatal(err)
		}
		before, err := d.InspectTask(cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		waitForLog(t, cfg, "before")

		// A new driver instance stands in for a restarted plugin process.
		d2 := e.driver(t, nil)
		if err := d2.RecoverTask(h); err != nil {
			t.Fatalf("RecoverTask: %v", err)
		}
		defer destroy(t, d2, cfg.ID)
		after, err := d2.InspectTask(cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.State != drivers.TaskStateRunning || after.DriverAttributes["pid"] != before.DriverAttributes["pid"] {
			t.Fatalf("recovered %+v, want running with pid %s", after, before.DriverAttributes["pid"])
		}
		if err := d2.StopTask(cfg.ID, 10*time.Second, "SIGTERM"); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, d2, cfg.ID); res.ExitCode != 0 {
			t.Errorf("exit = %+v", res)
		}
		if got := readLog(t, cfg, "stdout"); got != "before\nafter\n" {
			t.Errorf("stdout across the recovery = %q, want %q", got, "before\nafter\n")
		}
	})

	t.Run("exec and stats on a running task", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "box", map[string]any{"command": "sleep", "args": []string{"300"}})
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		defer destroy(t, d, cfg.ID)
		res, err := d.(drivers.Execer).ExecTask(cfg.ID, []string{"sh", "-c", "echo $GREETING; ls /local /secrets >/dev/null"}, 30*time.Second)
		if err != nil || res.ExitCode != 0 || string(res.Stdout) != "hello\n" {
			t.Fatalf("ExecTask = %+v, %v", res, err)
		}
		st, err := d.TaskStats(context.Background(), cfg.ID)
		if err != nil || st.MemoryUsage == 0 {
			t.Fatalf("TaskStats = %+v, %v; want memory usage", st, err)
		}
		if err := d.(drivers.Signaler).SignalTask(cfg.ID, "SIGKILL"); err != nil {
			t.Fatal(err)
		}
		if res := wait(t, d, cfg.ID); res.Signal != int(syscall.SIGKILL) {
			t.Errorf("exit after SIGKILL = %+v", res)
		}
	})

	t.Run("bad config is rejected with the field named", func(t *testing.T) {
		d := e.driver(t, nil)
		cases := []struct {
			name  string
			cfg   map[string]any
			field string
		}{
			{"missing image", map[string]any{"image": "", "command": "true"}, "config.image: required"},
			{"unknown field", map[string]any{"comand": "true"}, `config.comand: unknown key (did you mean "command"?)`},
			{"relative mount target", map[string]any{"mounts": []map[string]any{{"type": "bind", "source": "/tmp", "target": "data"}}}, "config.mounts[0].target"},
			{"unknown mount type", map[string]any{"mounts": []map[string]any{{"type": "nfs", "target": "/x"}}}, "config.mounts[0].type"},
			{"args not a list", map[string]any{"args": "x"}, "config.args"},
			{"privileged not allowed", map[string]any{"privileged": true}, "config.privileged"},
			{"bad extra host", map[string]any{"extra_hosts": []string{"nohost"}}, "config.extra_hosts[0]"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cfg := e.task(t, "bad", tc.cfg)
				if err := d.ValidateTaskConfig(cfg.Config); err == nil || !strings.Contains(err.Error(), tc.field) {
					t.Errorf("ValidateTaskConfig() = %v, want an error naming %q", err, tc.field)
				}
				if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), tc.field) {
					t.Errorf("StartTask() = %v, want an error naming %q", err, tc.field)
				}
				if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
					t.Errorf("InspectTask after a rejected start = %v, want ErrTaskNotFound", err)
				}
			})
		}
	})

	t.Run("missing image without an archive fails clearly", func(t *testing.T) {
		d := e.driver(t, nil)
		cfg := e.task(t, "noimage", map[string]any{"image": "registry.invalid/nothing:1", "image_archive": "", "command": "true"})
		_, err := d.StartTask(cfg)
		if !errors.Is(err, ctrd.ErrImageUnavailable) || !strings.Contains(err.Error(), "registry.invalid/nothing:1") {
			t.Fatalf("StartTask() = %v, want ErrImageUnavailable naming the image", err)
		}
	})

	t.Run("unknown task", func(t *testing.T) {
		d := e.driver(t, nil)
		if _, err := d.InspectTask("nope"); !errors.Is(err, drivers.ErrTaskNotFound) {
			t.Errorf("InspectTask(nope) = %v, want ErrTaskNotFound", err)
		}
	})
}

// waitForLog polls the task's stdout until it contains s.
func waitForLog(t *testing.T, cfg *drivers.TaskConfig, s string) {
	t.Helper()
	p := filepath.Join(cfg.Logs.Dir, cfg.Name+".stdout.0")
	poll.UntilTrue(t, 30*time.Second, fmt.Sprintf("stdout to contain %q", s), func() bool {
		b, err := os.ReadFile(p)
		return err == nil && strings.Contains(string(b), s)
	})
}
