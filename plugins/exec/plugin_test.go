package exec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/drivertest"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// trackedDriver records the tasks started through it, to destroy them
// (and their cgroups) when the test ends.
type trackedDriver struct {
	drivers.Driver
	mu  sync.Mutex
	ids []string
}

func (d *trackedDriver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	h, err := d.Driver.StartTask(cfg)
	if err == nil {
		d.mu.Lock()
		d.ids = append(d.ids, cfg.ID)
		d.mu.Unlock()
	}
	return h, err
}

// launchPlugin serves the driver from a new process of this test binary over
// go-plugin, as the client agent runs it, configured with pluginConfig.
// The tasks it started are destroyed, and the plugin killed, at cleanup.
func launchPlugin(t *testing.T, pluginConfig map[string]any) drivers.Driver {
	t.Helper()
	p, err := drivers.Launch(drivertest.SelfPlugin(Name), hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}}))
	if err != nil {
		t.Fatalf("Launch(%s) = %v", Name, err)
	}
	d := &trackedDriver{Driver: p.Driver()}
	t.Cleanup(func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, id := range d.ids {
			if err := d.Driver.DestroyTask(id, true); err != nil {
				t.Errorf("DestroyTask(%s) = %v", id, err)
			}
		}
		p.Kill()
	})
	if pluginConfig == nil {
		pluginConfig = map[string]any{}
	}
	pluginConfig["cgroup_parent"] = testCgroupParent
	raw, err := json.Marshal(pluginConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetConfig(&drivers.PluginConfig{Config: raw, AgentVersion: "test", DataDir: t.TempDir()}); err != nil {
		t.Fatalf("SetConfig(%s) = %v", raw, err)
	}
	return d
}

// TestHardeningOverPlugin performs the attacks of hardening_test.go against
// the driver in its plugin process.
func TestHardeningOverPlugin(t *testing.T) {
	requireRoot(t)
	t.Run("root refused", func(t *testing.T) {
		d := launchPlugin(t, nil)
		cmd, args := sh("id -u")
		cfg := newTaskConfig(t, "root", "root", cmd, args...)
		_, err := d.StartTask(cfg)
		if err == nil || !strings.Contains(err.Error(), `user: "root" has uid 0`) || !strings.Contains(err.Error(), "denied_host_uids") {
			t.Fatalf("StartTask(user root) = %v, want the denied_host_uids refusal", err)
		}
	})
	t.Run("bad denylist refused", func(t *testing.T) {
		d := launchPlugin(t, nil)
		err := d.SetConfig(&drivers.PluginConfig{Config: json.RawMessage(`{"denied_host_uids":"0,x"}`)})
		if err == nil || !strings.Contains(err.Error(), `config.denied_host_uids: element 1 "x"`) {
			t.Fatalf("SetConfig(bad denied_host_uids) = %v, want an error naming the field", err)
		}
	})
	t.Run("pids limit above the plugin's refused", func(t *testing.T) {
		d := launchPlugin(t, map[string]any{"pids_limit": 50})
		err := d.ValidateTaskConfig(json.RawMessage(`{"command":"/bin/true","pids_limit":51}`))
		if err == nil || !strings.Contains(err.Error(), "config.pids_limit: 51 is above the plugin's pids_limit (50)") {
			t.Fatalf("ValidateTaskConfig() = %v, want the pids_limit error", err)
		}
	})
	t.Run("fork bomb contained", func(t *testing.T) {
		d := launchPlugin(t, map[string]any{"pids_limit": 16})
		cmd, args := sh(forkBomb)
		cfg := newTaskConfig(t, "bomb", "", cmd, args...)
		if _, err := d.StartTask(cfg); err != nil {
			t.Fatal(err)
		}
		poll.UntilTrue(t, 60*time.Second, "the fork loop to end", func() bool {
			return strings.Contains(readLog(t, cfg, "stdout"), "subshell-ended")
		})
		if out := readLog(t, cfg, "stdout"); strings.Contains(out, "not-contained") {
			t.Fatalf("the task forked 64 processes under pids_limit 16:\n%s", out)
		}
		mnt, err := v1ControllerMount("pids")
		if err != nil {
			t.Skipf("no v1 pids controller to inspect: %v", err)
		}
		dir := filepath.Join(mnt, cgroupRel(testCgroupParent, cfg.ID))
		if b, err := os.ReadFile(filepath.Join(dir, "pids.current")); err != nil {
			t.Error(err)
		} else if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n > 16 || n == 0 {
			t.Errorf("pids.current = %d, want 1 to 16", n)
		}
	})
	t.Run("setuid binary", func(t *testing.T) {
		d := launchPlugin(t, nil)
		cfg := newTaskConfig(t, "suid", "", "/suid-helper")
		installSetuidRoot(t, filepath.Join(cfg.TaskDir.Dir, "suid-helper"))
		cfg.Env[suidHelperEnv] = "1"
		res, out := runTask(t, d, cfg)
		if !res.Successful() {
			t.Fatalf("task result = %+v, stderr %q", res, readLog(t, cfg, "stderr"))
		}
		if _, euid := statusIDs(t, out, "Uid"); euid != "65534" {
			t.Errorf("effective uid = %s, want 65534", euid)
		}
	})
	t.Run("device nodes", func(t *testing.T) {
		runDeviceAttack(t, launchPlugin(t, allowRoot(nil)), nil)
	})
}
