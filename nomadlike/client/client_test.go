package client_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

type env struct {
	t        *testing.T
	server   *clienttest.FakeServer
	host     *clienttest.FakeHost
	launcher *clienttest.FakeLauncher
	dataDir  string
}

func newEnv(t *testing.T) *env {
	host := clienttest.NewFakeHost()
	t.Cleanup(host.StopAll)
	return &env{t: t, server: clienttest.NewFakeServer(), host: host, launcher: clienttest.NewFakeLauncher(host), dataDir: t.TempDir()}
}

func (e *env) config() client.Config {
	return client.Config{
		DataDir: e.dataDir, NodeName: "test-node", Meta: map[string]string{"rack": "r7"},
		Servers: e.server, DriverLauncher: e.launcher, BuiltinDrivers: []string{"fake"}, DriverBinary: "/nonexistent",
		Plugins:          map[string]json.RawMessage{"fake": json.RawMessage(`{"x": 1}`)},
		Logger:           hclog.NewNullLogger(),
		MinRetryInterval: 10 * time.Millisecond, MaxRetryInterval: 50 * time.Millisecond,
		FingerprintInterval: time.Hour, BlockingQueryWait: 5 * time.Second,
	}
}

func (e *env) start(cfg client.Config) *client.Client {
	e.t.Helper()
	c, err := client.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Shutdown() })
	poll.Until(e.t, 5*time.Second, "the node to register", func() (bool, string) {
		return e.server.Node(c.NodeID()) != nil, "node never registered"
	})
	return c
}

func (e *env) alloc(nodeID string, cfg map[string]any) *nomadlike.Allocation {
	job := fixture.BatchJob(1)
	tk := job.TaskGroups[0].Tasks[0]
	tk.Driver = "fake"
	tk.Config = cfg
	tk.KillTimeout = time.Second
	job.TaskGroups[0].RestartPolicy = &nomadlike.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: "fail"}
	tk.RestartPolicy = job.TaskGroups[0].RestartPolicy
	a := fixture.Alloc(job, &nomadlike.Node{ID: nodeID}, 0)
	a.ClientStatus = nomadlike.AllocClientStatusPending
	e.server.UpsertAlloc(a)
	return a
}

func (e *env) waitServerStatus(id, status string) *nomadlike.Allocation {
	e.t.Helper()
	var a *nomadlike.Allocation
	poll.Until(e.t, 10*time.Second, "the server's alloc status", func() (bool, string) {
		a = e.server.Alloc(id)
		return a != nil && a.ClientStatus == status, fmt.Sprintf("server sees %+v, want %s", a, status)
	})
	return a
}

func TestRegisterAndRunBatch(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())

	node := e.server.Node(c.NodeID())
	for k, want := range map[string]string{"driver.fake": "1", "driver.fake.version": "0.0.1", "unique.name": "test-node", "nomad.version": "0.1.0-dev"} {
		if node.Attributes[k] != want {
			t.Errorf("node attribute %s = %q, want %q", k, node.Attributes[k], want)
		}
	}
	for _, k := range []string{"cpu.numcores", "memory.totalbytes", "kernel.version", "unique.storage.bytesfree", "os.cgroups.version"} {
		if node.Attributes[k] == "" {
			t.Errorf("node attribute %s missing", k)
		}
	}
	if d := node.Drivers["fake"]; d == nil || !d.Healthy || !d.Detected {
		t.Errorf("node driver = %+v, want healthy", d)
	}
	if node.Meta["rack"] != "r7" || node.NodeResources.Cpu.CpuShares <= 0 || node.NodeResources.Disk.DiskMB <= 0 {
		t.Errorf("node = meta %v resources %+v", node.Meta, node.NodeResources)
	}

	a := e.alloc(c.NodeID(), map[string]any{"stdout": "hi"})
	got := e.waitServerStatus(a.ID, nomadlike.AllocClientStatusComplete)
	if ts := got.TaskStates["app"]; ts == nil || ts.State != nomadlike.TaskStateDead || ts.Failed {
		t.Errorf("server task state = %+v", ts)
	}
	cfg := e.host.LastConfig(a.ID, "app")
	if filepath.Dir(cfg.AllocDir) != filepath.Join(e.dataDir, "alloc") {
		t.Errorf("alloc dir = %s, want under %s/alloc", cfg.AllocDir, e.dataDir)
	}

	// The server garbage collects the alloc: the client destroys it.
	e.server.DeleteAlloc(a.ID)
	poll.Until(t, 5*time.Second, "the alloc dir to be removed", func() (bool, string) {
		_, err := os.Stat(cfg.AllocDir)
		return os.IsNotExist(err), "alloc dir still exists"
	})
}

func TestStopAndUpdateRetries(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)

	e.server.FailUpdates(3)
	e.server.StopAlloc(a.ID)
	got := e.waitServerStatus(a.ID, nomadlike.AllocClientStatusComplete)
	var types []string
	for _, ev := range got.TaskStates["app"].Events {
		types = append(types, ev.Type)
	}
	if !strings.Contains(strings.Join(types, ","), "Killing,Killed") {
		t.Errorf("events = %v, want Killing then Killed", types)
	}
}

func TestReregisterAndDriverHealth(t *testing.T) {
	e := newEnv(t)
	e.server.TTL = 60 * time.Millisecond
	cfg := e.config()
	cfg.FingerprintInterval = 20 * time.Millisecond
	c := e.start(cfg)

	e.server.ForgetNode(c.NodeID())
	poll.Until(t, 5*time.Second, "the node to register again", func() (bool, string) {
		return e.server.Node(c.NodeID()) != nil, "node not registered again after the server forgot it"
	})

	e.host.SetHealth(drivers.HealthUnhealthy)
	poll.Until(t, 5*time.Second, "the unhealthy fake driver on the node", func() (bool, string) {
		n := e.server.Node(c.NodeID())
		d := n.Drivers["fake"]
		return d != nil && !d.Healthy && n.Attributes["driver.fake"] == "", fmt.Sprintf("driver info %+v", d)
	})
}

func TestRestartRecoversTasks(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	c1, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.Start(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "the node to register", func() (bool, string) { return e.server.Node(c1.NodeID()) != nil, "not registered" })
	nodeID := c1.NodeID()
	a := e.alloc(nodeID, map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	if err := c1.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if len(e.host.Running()) != 1 {
		t.Fatalf("task did not survive the agent: running %v", e.host.Running())
	}

	c2 := e.start(cfg)
	if c2.NodeID() != nodeID {
		t.Fatalf("node ID changed across restarts: %s then %s", nodeID, c2.NodeID())
	}
	poll.Until(t, 5*time.Second, "the task to be recovered", func() (bool, string) {
		for _, ev := range e.host.Events() {
			if ev == "recover app" {
				return true, ""
			}
		}
		return false, fmt.Sprint(e.host.Events())
	})
	if n := e.host.Starts(a.ID, "app"); n != 1 {
		t.Fatalf("task started %d times, want 1", n)
	}
	if launches, reattaches := e.launcher.Counts(); launches != 1 || reattaches != 1 {
		t.Errorf("plugins launched %d reattached %d, want 1 and 1", launches, reattaches)
	}
	// The recovered task is still managed: stopping the alloc kills it.
	e.server.StopAlloc(a.ID)
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusComplete)
	if len(e.host.Running()) != 0 {
		t.Errorf("running after stop: %v", e.host.Running())
	}
}

func TestLogsHandler(t *testing.T) {
	e := newEnv(t)
	c := e.start(e.config())
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h", "stdout": "first\n", "stderr": "oops\n"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	logDir := filepath.Join(e.dataDir, "alloc", a.ID, "alloc", "logs")

	get := func(query string) (int, string) {
		resp, err := http.Get(srv.URL + "/v1/client/fs/logs/" + a.ID + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	os.WriteFile(filepath.Join(logDir, "app.stdout.1"), []byte("second\n"), 0o644)
	cases := []struct {
		query string
		code  int
		want  string
	}{
		{"task=app&type=stdout&plain=true", 200, "first\nsecond\n"},
		{"plain=true&origin=end&offset=7", 200, "second\n"},
		{"type=stderr&plain=true", 200, "oops\n"},
		{"task=nope&plain=true", 404, "unknown task"},
		{"type=stdin&plain=true", 400, "log type"},
	}
	for _, tc := range cases {
		code, body := get(tc.query)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("GET logs?%s = %d %q, want %d %q", tc.query, code, body, tc.code, tc.want)
		}
	}
	// Framed (non-plain) output.
	_, body := get("task=app")
	var f api.StreamFrame
	if err := json.NewDecoder(strings.NewReader(body)).Decode(&f); err != nil || string(f.Data) != "first\n" || f.File != "alloc/logs/app.stdout.0" {
		t.Errorf("first frame = %+v, %v", f, err)
	}

	// Follow streams new data and rotated files until the caller cancels.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/client/fs/logs/"+a.ID[:8]+"?plain=true&follow=true&origin=start&offset=13", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	os.WriteFile(filepath.Join(logDir, "app.stdout.2"), []byte("third\n"), 0o644)
	select {
	case l := <-lines:
		if l != "third" {
			t.Errorf("followed line = %q, want third", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not deliver the new rotated file")
	}
	cancel()
	for range lines {
	}

	// Stats, signal, exec, restart on the running alloc.
	post := func(path, body string) (int, string) {
		resp, err := http.Post(srv.URL+"/v1/client/allocation/"+a.ID+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/signal", `{"Signal":"SIGHUP"}`); code != 200 {
		t.Errorf("signal = %d %s", code, body)
	}
	code, body := post("/exec", `{"Cmd":["echo","x"]}`)
	var er api.ExecResponse
	json.Unmarshal([]byte(body), &er)
	if code != 200 || string(er.Stdout) != "echo x\n" {
		t.Errorf("exec = %d %s", code, body)
	}
	resp2, err := http.Get(srv.URL + "/v1/client/allocation/" + a.ID + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st api.AllocResourceUsage
	json.NewDecoder(resp2.Body).Decode(&st)
	resp2.Body.Close()
	if st.Tasks["app"] == nil || st.ResourceUsage.MemoryStats.RSS != 1<<20 {
		t.Errorf("stats = %+v", st)
	}
	if code, body := post("/restart", `{}`); code != 200 {
		t.Errorf("restart = %d %s", code, body)
	}
	poll.Until(t, 5*time.Second, "the task to restart", func() (bool, string) {
		return e.host.Starts(a.ID, "app") == 2, "task not restarted"
	})
	if code, _ := post("/../nope/signal", `{}`); code == 200 {
		t.Errorf("unknown alloc accepted")
	}
}

// TestShutdownStopsDriversWhenAsked: a client leaves its driver plugins
// running on Shutdown so that the next agent reattaches, unless
// StopDriversOnShutdown (dev agents) asks it to stop them.
func TestShutdownStopsDriversWhenAsked(t *testing.T) {
	cases := []struct {
		name                         string
		stop                         bool
		wantLaunches, wantReattaches int
	}{
		{"left running for the next agent", false, 1, 1},
		{"stopped for a dev agent", true, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config()
			cfg.StopDriversOnShutdown = tc.stop
			c := e.start(cfg)
			if err := c.Shutdown(); err != nil {
				t.Fatal(err)
			}
			// The next client reattaches to a plugin left running, and
			// launches one that was stopped.
			e.start(e.config())
			if l, r := e.launcher.Counts(); l != tc.wantLaunches || r != tc.wantReattaches {
				t.Fatalf("plugins launched %d reattached %d, want %d and %d", l, r, tc.wantLaunches, tc.wantReattaches)
			}
		})
	}
}
