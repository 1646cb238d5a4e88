package rawexec

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/drivertest"
)

func TestMain(m *testing.M) {
	drivertest.ServeIfPlugin(func(l hclog.Logger) drivers.Driver { return New(l) })
	os.Exit(m.Run())
}

func shellTask(script string) json.RawMessage {
	b, _ := json.Marshal(TaskConfig{Command: "/bin/sh", Args: []string{"-c", script}})
	return b
}

// TestConformance runs the driver suite against raw_exec as a plugin.
func TestConformance(t *testing.T) {
	drivertest.Run(t, drivertest.Harness{
		Plugin:       drivertest.SelfPlugin(Name),
		PluginConfig: json.RawMessage(`{"enabled": true}`),
		ShellTask:    shellTask,
		BadConfig:    json.RawMessage(`{"comand": "/bin/true"}`),
		BadField:     `config.comand: unknown key (did you mean "command"?)`,
	})
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want string
	}{
		{"unknown field", `{"command": "x", "comand": "y"}`, `config.comand: unknown key (did you mean "command"?)`},
		{"missing command", `{"args": ["a"]}`, "config.command: required"},
		{"args not a list", `{"command": "x", "args": "a"}`, "config.args: must be a list"},
		{"command not a string", `{"command": 3}`, "config.command: must be a string"},
		{"not an object", `[1]`, "config: must be an object"},
	}
	d := New(nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := d.ValidateTaskConfig(json.RawMessage(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ValidateTaskConfig(%s) = %v, want %q", tc.raw, err, tc.want)
			}
		})
	}
	if err := d.ValidateTaskConfig(json.RawMessage(`{"command": "/bin/true", "args": ["-x"]}`)); err != nil {
		t.Fatalf("ValidateTaskConfig(valid) = %v", err)
	}
}

func TestPluginConfig(t *testing.T) {
	cases := []struct {
		name       string
		raw        string
		wantErr    string
		wantHealth string
	}{
		{"absent is disabled", ``, "", drivers.HealthUndetected},
		{"disabled", `{"enabled": false}`, "", drivers.HealthUndetected},
		{"enabled", `{"enabled": true, "no_cgroups": true}`, "", drivers.HealthHealthy},
		{"unknown field", `{"enable": true}`, `config.enable: unknown key (did you mean "enabled"?)`, ""},
		{"wrong type", `{"enabled": "yes"}`, "config.enabled: must be a boolean", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := New(nil)
			err := d.SetConfig(&drivers.PluginConfig{Config: json.RawMessage(tc.raw)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("SetConfig(%s) = %v, want %q", tc.raw, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SetConfig(%s) = %v", tc.raw, err)
			}
			fp, err := d.Fingerprint(context.Background())
			if err != nil || fp.Health != tc.wantHealth {
				t.Fatalf("Fingerprint() = %+v, %v; want %s", fp, err, tc.wantHealth)
			}
		})
	}
}

func TestDisabledRefusesToStart(t *testing.T) {
	d := New(nil)
	_, err := d.StartTask(&drivers.TaskConfig{ID: "a/web/1", Name: "web", Config: shellTask("true")})
	if err == nil || !strings.Contains(err.Error(), `plugin "raw_exec" { config { enabled = true } }`) {
		t.Fatalf("StartTask while disabled = %v, want the how-to-enable message", err)
	}
}

func TestResolveCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(dir+"/bin", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/bin/tool", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, cmd, path, want string
		wantErr               bool
	}{
		{"absolute", "/bin/sh", "", "/bin/sh", false},
		{"relative to task dir", "local/run.sh", "", dir + "/local/run.sh", false},
		{"in task PATH", "tool", dir + "/bin", dir + "/bin/tool", false},
		{"relative PATH entry", "tool", "bin", dir + "/bin/tool", false},
		{"missing", "no-such-tool", dir + "/bin", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveCommand(tc.cmd, dir, tc.path)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("resolveCommand(%q) = %q, %v; want %q (error %v)", tc.cmd, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestStartTaskSameIDAtOnce: StartTask runs outside the driver's lock, so
// two starts of one ID at the same time must still start it once.
func TestStartTaskSameIDAtOnce(t *testing.T) {
	d := New(nil)
	if err := d.SetConfig(&drivers.PluginConfig{Config: json.RawMessage(`{"enabled": true}`)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := &drivers.TaskConfig{ID: "a/web/1", Name: "web", Config: shellTask("sleep 30"),
		TaskDir: drivers.TaskDir{Dir: dir}, Logs: drivers.LogConfig{Dir: dir}}
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := d.StartTask(cfg)
			errs <- err
		}()
	}
	started := 0
	for range n {
		if err := <-errs; err == nil {
			started++
		} else if !strings.Contains(err.Error(), "already started") {
			t.Errorf("StartTask: %v", err)
		}
	}
	if started != 1 {
		t.Fatalf("%d of %d concurrent starts of one ID succeeded, want 1", started, n)
	}
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatal(err)
	}
}
