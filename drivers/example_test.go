package drivers_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
)

// TestExampleOutOfTreeDriver builds the example driver module (its own
// go.mod) into a plugin dir, discovers it, launches it and runs a task.
func TestExampleOutOfTreeDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	pluginDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "hello-driver"), ".")
	build.Dir = filepath.Join("examples", "hello-driver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	found, err := drivers.DiscoverPlugins(pluginDir)
	if err != nil {
		t.Fatal(err)
	}
	path, ok := found["hello-driver"]
	if !ok {
		t.Fatalf("DiscoverPlugins(%s) = %v, want hello-driver", pluginDir, found)
	}
	p, err := drivers.Launch(drivers.PluginSpec{Name: "hello-driver", Command: path}, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(p.Kill)
	d := p.Driver()
	if err := d.SetConfig(&drivers.PluginConfig{Config: json.RawMessage(`{"enabled": true}`)}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	if fp, err := d.Fingerprint(context.Background()); err != nil || fp.Health != drivers.HealthHealthy {
		t.Fatalf("Fingerprint = %+v, %v", fp, err)
	}
	if err := d.ValidateTaskConfig(json.RawMessage(`{}`)); err == nil || err.Error() != "config.message: required" {
		t.Fatalf("ValidateTaskConfig({}) = %v, want config.message: required", err)
	}

	logDir := t.TempDir()
	cfg := &drivers.TaskConfig{
		ID: "a1/greet/1", Name: "greet",
		Config: json.RawMessage(`{"message": "world"}`),
		Logs:   drivers.LogConfig{Dir: logDir, MaxFiles: 1, MaxFileSizeMB: 1},
	}
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.WaitTask(ctx, cfg.ID)
	if err != nil || !res.Successful() {
		t.Fatalf("WaitTask = %+v, %v; want success", res, err)
	}
	out, err := os.ReadFile(filepath.Join(logDir, "greet.stdout.0"))
	if err != nil || string(out) != "hello, world\n" {
		t.Fatalf("greet.stdout.0 = %q, %v; want %q", out, err, "hello, world\n")
	}
	if _, err := d.InspectTask("nope"); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("InspectTask(nope) = %v, want ErrTaskNotFound", err)
	}
}
