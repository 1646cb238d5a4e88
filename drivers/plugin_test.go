package drivers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// testModeEnv makes this test binary act as a fake driver plugin ("serve")
// or as a host that launches one and prints its reattach config ("host").
const testModeEnv = "NOMADLIKE_DRIVERS_TEST_MODE"

func TestMain(m *testing.M) {
	switch os.Getenv(testModeEnv) {
	case "serve":
		Serve(newFakeDriver(NewPluginLogger("fake")))
		os.Exit(0)
	case "host":
		os.Exit(runTestHost())
	}
	os.Exit(m.Run())
}

// fakeSpec launches this test binary as the fake driver plugin.
func fakeSpec() PluginSpec {
	return PluginSpec{Name: "fake", Command: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{testModeEnv + "=serve"}}
}

// runTestHost launches the fake plugin, prints its ReattachConfig as one JSON
// line and waits to be killed.
func runTestHost() int {
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: os.Stderr})
	p, err := Launch(fakeSpec(), logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(p.ReattachConfig()); err != nil {
		return 1
	}
	select {}
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: testWriter{t}})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func launchFake(t *testing.T) *Plugin {
	t.Helper()
	p, err := Launch(fakeSpec(), hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(p.Kill)
	return p
}

func fakeTaskConfigFor(id, command string) *TaskConfig {
	cfg := json.RawMessage(`{}`)
	if command != "" {
		cfg, _ = json.Marshal(fakeTaskConfig{Command: command})
	}
	return &TaskConfig{ID: id, Name: "web", Config: cfg, Env: map[string]string{"A": "1"}}
}

func TestPluginCalls(t *testing.T) {
	p := launchFake(t)
	d := p.Driver()

	if got := d.Info(); got.Name != "fake" || !got.Capabilities.SendSignals {
		t.Fatalf("Info() = %+v, want name fake with signals", got)
	}
	if err := d.SetConfig(&PluginConfig{Config: json.RawMessage(`{"enabled": "yes"}`)}); err == nil || err.Error() != "config.enabled: must be a bool" {
		t.Fatalf("SetConfig(bad) = %v, want the field-naming message", err)
	}
	fp, err := d.Fingerprint(context.Background())
	if err != nil || fp.Health != HealthUndetected {
		t.Fatalf("Fingerprint() before enabling = %+v, %v; want undetected", fp, err)
	}
	if err := d.SetConfig(&PluginConfig{Config: json.RawMessage(`{"enabled": true}`)}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	fp, err = d.Fingerprint(context.Background())
	if err != nil || fp.Health != HealthHealthy || fp.Attributes["version"] != "1.0.0" {
		t.Fatalf("Fingerprint() = %+v, %v; want healthy with version", fp, err)
	}
	if err := d.ValidateTaskConfig(json.RawMessage(`{}`)); err == nil || !strings.Contains(err.Error(), "config.command") {
		t.Fatalf("ValidateTaskConfig({}) = %v, want an error naming config.command", err)
	}

	h, err := d.StartTask(fakeTaskConfigFor("a1/web/1", "run"))
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	if h.Config.ID != "a1/web/1" || h.Config.Env["A"] != "1" || string(h.DriverState) != `{"fake":true}` {
		t.Fatalf("StartTask handle = %+v, want the config and driver state back", h)
	}
	if err := d.(Signaler).SignalTask("a1/web/1", "SIGHUP"); err != nil {
		t.Fatalf("SignalTask: %v", err)
	}
	st, err := d.InspectTask("a1/web/1")
	if err != nil || st.State != TaskStateRunning || st.DriverAttributes["signals"] != "[SIGHUP]" {
		t.Fatalf("InspectTask = %+v, %v; want running with SIGHUP delivered", st, err)
	}
	u, err := d.TaskStats(context.Background(), "a1/web/1")
	if err != nil || u.MemoryRSS != 4096 || !u.Timestamp.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("TaskStats = %+v, %v", u, err)
	}
	if err := d.DestroyTask("a1/web/1", false); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("DestroyTask(running, no force) = %v, want still running", err)
	}

	waitCh := make(chan *ExitResult, 1)
	go func() {
		res, err := d.WaitTask(context.Background(), "a1/web/1")
		if err != nil {
			t.Errorf("WaitTask: %v", err)
		}
		waitCh <- res
	}()
	if err := d.StopTask("a1/web/1", time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	select {
	case res := <-waitCh:
		if res == nil || res.ExitCode != 143 || res.Err != "stopped with SIGTERM" {
			t.Fatalf("WaitTask = %+v, want exit 143 stopped with SIGTERM", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WaitTask did not return after StopTask")
	}
	if err := d.DestroyTask("a1/web/1", false); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	if err := d.RecoverTask(&TaskHandle{Config: fakeTaskConfigFor("a1/web/2", "run")}); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if _, err := d.InspectTask("a1/web/2"); err != nil {
		t.Fatalf("InspectTask(recovered): %v", err)
	}
}

func TestPluginErrorsKeepMeaning(t *testing.T) {
	p := launchFake(t)
	d := p.Driver()
	cases := []struct {
		name     string
		call     func() error
		sentinel error
		contains string
	}{
		{"inspect unknown", func() error { _, err := d.InspectTask("nope"); return err }, ErrTaskNotFound, `task "nope"`},
		{"wait unknown", func() error { _, err := d.WaitTask(context.Background(), "nope"); return err }, ErrTaskNotFound, "task not found"},
		{"stop unknown", func() error { return d.StopTask("nope", time.Second, "") }, ErrTaskNotFound, "nope"},
		{"destroy unknown", func() error { return d.DestroyTask("nope", true) }, ErrTaskNotFound, "nope"},
		{"stats unknown", func() error { _, err := d.TaskStats(context.Background(), "nope"); return err }, ErrTaskNotFound, "nope"},
		{"signal unknown", func() error { return d.(Signaler).SignalTask("nope", "SIGHUP") }, ErrTaskNotFound, "nope"},
		{"exec unsupported", func() error { _, err := d.(Execer).ExecTask("nope", []string{"true"}, time.Second); return err }, ErrNotSupported, "exec task"},
		{"start bad config", func() error { _, err := d.StartTask(fakeTaskConfigFor("x", "")); return err }, nil, "config.command: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("got nil error")
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if tc.sentinel == nil && (errors.Is(err, ErrTaskNotFound) || errors.Is(err, ErrNotSupported)) {
				t.Errorf("error %v matches a sentinel it should not", err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error = %q, want it to contain %q", err, tc.contains)
			}
		})
	}
}

func TestPluginWaitTaskHonoursCancel(t *testing.T) {
	p := launchFake(t)
	d := p.Driver()
	if _, err := d.StartTask(fakeTaskConfigFor("t1", "run")); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errCh := make(chan error, 1)
	go func() {
		_, err := d.WaitTask(ctx, "t1")
		errCh <- err
	}()
	cancel()
	select {
	case err := <-errCh:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitTask after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WaitTask did not return after cancel")
	}
	// The plugin side saw the cancellation too (the call may have been
	// cancelled before it reached the driver, so poll).
	poll.UntilTrue(t, 10*time.Second, "the plugin to see a WaitTask cancellation", func() bool {
		ctx2, cancel2 := context.WithCancel(context.Background())
		go func() {
			_, _ = d.WaitTask(ctx2, "t1")
		}()
		st, err := d.InspectTask("t1")
		cancel2()
		if err != nil {
			t.Fatalf("InspectTask: %v", err)
		}
		return st.DriverAttributes["wait_cancelled"] != "0"
	})
}

func TestPluginDisconnectAndReattach(t *testing.T) {
	p := launchFake(t)
	if _, err := p.Driver().StartTask(fakeTaskConfigFor("t1", "run")); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	rc := p.ReattachConfig()
	if rc.Network != "unix" || rc.Addr == "" || rc.Pid <= 0 || rc.Protocol != "grpc" {
		t.Fatalf("ReattachConfig() = %+v", rc)
	}
	b, err := json.Marshal(rc)
	if err != nil {
		t.Fatal(err)
	}
	var rc2 ReattachConfig
	if err := json.Unmarshal(b, &rc2); err != nil || rc2 != rc {
		t.Fatalf("ReattachConfig JSON round trip = %+v, %v", rc2, err)
	}
	p.Disconnect()
	if _, err := p.Driver().InspectTask("t1"); err == nil {
		t.Fatal("InspectTask after Disconnect succeeded, want an error")
	}

	p2, err := Reattach("fake", rc2, testLogger(t))
	if err != nil {
		t.Fatalf("Reattach: %v", err)
	}
	st, err := p2.Driver().InspectTask("t1")
	if err != nil || st.State != TaskStateRunning {
		t.Fatalf("InspectTask after reattach = %+v, %v; want the task still there", st, err)
	}
	if p2.Exited() {
		t.Fatal("Exited() = true for a live plugin")
	}
	p2.Kill()
	waitGone(t, rc.Pid)
	if _, err := p2.Driver().InspectTask("t1"); !errors.Is(err, ErrPluginUnavailable) {
		t.Fatalf("InspectTask after Kill = %v, want ErrPluginUnavailable", err)
	}
}

func TestReattachErrors(t *testing.T) {
	cases := []struct {
		name string
		rc   ReattachConfig
		want string
	}{
		{"bad network", ReattachConfig{Network: "udp", Addr: "x", Pid: 1}, "network"},
		{"no addr", ReattachConfig{Network: "unix", Pid: 1}, "addr: required"},
		{"no pid", ReattachConfig{Network: "unix", Addr: "/nonexistent.sock"}, "pid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Reattach("fake", tc.rc, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reattach(%+v) = %v, want an error containing %q", tc.rc, err, tc.want)
			}
		})
	}
}

// TestPluginSurvivesHostKill launches the plugin from a helper process, kills
// that process with SIGKILL (as an agent crash), then reattaches and makes
// calls that make the plugin write its log to the dead host's stderr pipe.
func TestPluginSurvivesHostKill(t *testing.T) {
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), testModeEnv+"=host")
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })

	lineCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lineCh <- line
	}()
	var rc ReattachConfig
	select {
	case line := <-lineCh:
		if err := json.Unmarshal([]byte(line), &rc); err != nil {
			t.Fatalf("host printed %q: %v", line, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("host did not print a reattach config")
	}
	t.Cleanup(func() { _ = syscall.Kill(rc.Pid, syscall.SIGKILL); waitGone(t, rc.Pid) })

	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()

	p, err := Reattach("fake", rc, testLogger(t))
	if err != nil {
		t.Fatalf("Reattach after host SIGKILL: %v", err)
	}
	defer p.Disconnect()
	d := p.Driver()
	// Each StartTask logs at debug level in the plugin, to the dead pipe.
	for i := range 3 {
		if _, err := d.StartTask(fakeTaskConfigFor(fmt.Sprintf("t%d", i), "run")); err != nil {
			t.Fatalf("StartTask %d after host death: %v", i, err)
		}
	}
	if _, err := d.InspectTask("t2"); err != nil {
		t.Fatalf("InspectTask after host death: %v", err)
	}
	if err := syscall.Kill(rc.Pid, 0); err != nil {
		t.Fatalf("plugin process %d gone: %v", rc.Pid, err)
	}
}

// waitGone polls until process pid no longer exists (or is a zombie).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	poll.UntilTrue(t, 30*time.Second, fmt.Sprintf("process %d to go", pid), func() bool {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		i := strings.LastIndexByte(string(b), ')')
		return i > 0 && strings.HasPrefix(string(b[i+1:]), " Z")
	})
}
