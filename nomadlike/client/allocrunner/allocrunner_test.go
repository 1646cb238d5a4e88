package allocrunner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// fakeDrivers serves one FakeDriver as "fake".
type fakeDrivers struct{ d *clienttest.FakeDriver }

func (f fakeDrivers) Driver(name string) (drivers.Driver, error) {
	if name != "fake" {
		return nil, fmt.Errorf("driver %q: unknown", name)
	}
	return f.d, nil
}

// recordingUpdater keeps every allocation state it is handed.
type recordingUpdater struct {
	mu   sync.Mutex
	last *nomadlike.Allocation
	n    int
}

func (u *recordingUpdater) AllocStateUpdated(a *nomadlike.Allocation) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.last, u.n = a, u.n+1
}

func (u *recordingUpdater) Last() *nomadlike.Allocation {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

type harness struct {
	t       *testing.T
	host    *clienttest.FakeHost
	db      localstate.DB
	dir     string
	updater *recordingUpdater
	node    *nomadlike.Node
	// templates is handed to the runners (templates_test.go).
	templates TemplateConfig
	// identities renews workload identities (identity_hook_test.go).
	identities IdentityFetcher
}

func newHarness(t *testing.T) *harness {
	host := clienttest.NewFakeHost()
	t.Cleanup(host.StopAll)
	return &harness{t: t, host: host, db: localstate.NewMemDB(), dir: t.TempDir(), updater: &recordingUpdater{}, node: fixture.Node()}
}

func (h *harness) runner(a *nomadlike.Allocation, restored *localstate.AllocState) *AllocRunner {
	h.t.Helper()
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: fakeDrivers{clienttest.NewFakeDriver(h.host, "fake")},
		DB: h.db, Node: func() *nomadlike.Node { return h.node }, Updater: h.updater,
		Logger: hclog.NewNullLogger(), Restored: restored, Templates: h.templates, Identities: h.identities,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ar
}

func (h *harness) start(a *nomadlike.Allocation) *AllocRunner {
	ar := h.runner(a, nil)
	go ar.Run()
	h.t.Cleanup(func() {
		ar.Destroy()
	})
	return ar
}

// batchAlloc returns an allocation of a batch job whose tasks are given as
// name -> fake config, with fast restarts.
func batchAlloc(tasks ...*nomadlike.Task) *nomadlike.Allocation {
	job := fixture.BatchJob(1)
	tg := job.TaskGroups[0]
	tg.RestartPolicy = &nomadlike.RestartPolicy{Attempts: 0, Interval: time.Minute, Delay: time.Millisecond, Mode: "fail"}
	tg.Tasks = nil
	for _, t := range tasks {
		if t.Resources == nil {
			t.Resources = &nomadlike.Resources{CPU: 100, MemoryMB: 64}
		}
		tg.Tasks = append(tg.Tasks, t)
	}
	job.Canonicalize()
	return fixture.Alloc(job, fixture.Node(), 0)
}

func task(name string, cfg map[string]any) *nomadlike.Task {
	return &nomadlike.Task{Name: name, Driver: "fake", Config: cfg, KillTimeout: time.Second}
}

func waitStatus(t *testing.T, ar *AllocRunner, status string) *nomadlike.Allocation {
	t.Helper()
	var a *nomadlike.Allocation
	poll.Until(t, 10*time.Second, "the alloc's client status", func() (bool, string) {
		a = ar.Alloc()
		return a.ClientStatus == status, fmt.Sprintf("client status %q, want %q; tasks %s", a.ClientStatus, status, describe(a))
	})
	return a
}

func describe(a *nomadlike.Allocation) string {
	var b strings.Builder
	for name, ts := range a.TaskStates {
		fmt.Fprintf(&b, "%s=%s(failed=%v)[", name, ts.State, ts.Failed)
		for _, e := range ts.Events {
			fmt.Fprintf(&b, "%s: %s; ", e.Type, e.DisplayMessage)
		}
		b.WriteString("] ")
	}
	return b.String()
}

func eventTypes(ts *nomadlike.TaskState) []string {
	var out []string
	for _, e := range ts.Events {
		out = append(out, e.Type)
	}
	return out
}

func findEvent(ts *nomadlike.TaskState, typ string) *nomadlike.TaskEvent {
	for _, e := range ts.Events {
		if e.Type == typ {
			return e
		}
	}
	return nil
}

func TestBatchAllocCompletes(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("work", map[string]any{"stdout": "hello\n", "args": []any{"${NOMAD_ALLOC_ID}", "${node.unique.name}"}}))
	ar := h.start(a)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusComplete)
	ts := got.TaskStates["work"]
	want := []string{nomadlike.TaskEventReceived, nomadlike.TaskEventSetup, nomadlike.TaskEventStarted, nomadlike.TaskEventTerminated}
	if !slices.Equal(eventTypes(ts), want) {
		t.Errorf("events = %v, want %v", eventTypes(ts), want)
	}
	if ts.State != nomadlike.TaskStateDead || ts.Failed || ts.FinishedAt.IsZero() {
		t.Errorf("task state = %+v, want dead and not failed", ts)
	}
	cfg := h.host.LastConfig(a.ID, "work")
	if cfg.Env["NOMAD_ALLOC_ID"] != a.ID || cfg.Env["NOMAD_TASK_NAME"] != "work" {
		t.Errorf("env = %v, want NOMAD_* variables", cfg.Env)
	}
	if want := fmt.Sprintf(`"args":["%s","%s"]`, a.ID, h.node.Name); !strings.Contains(string(cfg.Config), want) {
		t.Errorf("driver config %s does not contain interpolated %s", cfg.Config, want)
	}
	if cfg.Logs.Dir != ar.AllocDir().LogDir() || cfg.Logs.MaxFiles != 10 {
		t.Errorf("logs config = %+v", cfg.Logs)
	}
	if last := h.updater.Last(); last.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Errorf("updater last saw %q, want complete", last.ClientStatus)
	}
}

func TestRestartPolicyThenFail(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("flaky", map[string]any{"exit_code": 1}))
	a.Job.TaskGroups[0].Tasks[0].RestartPolicy = &nomadlike.RestartPolicy{Attempts: 2, Interval: time.Hour, Delay: 5 * time.Millisecond, Mode: "fail"}
	ar := h.start(a)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	ts := got.TaskStates["flaky"]
	if n := h.host.Starts(a.ID, "flaky"); n != 3 {
		t.Errorf("started %d times, want 3 (1 + 2 restarts)", n)
	}
	if ts.Restarts != 2 || !ts.Failed {
		t.Errorf("task state = restarts %d failed %v, want 2 and true", ts.Restarts, ts.Failed)
	}
	nr := findEvent(ts, nomadlike.TaskEventNotRestarting)
	if nr == nil || !strings.Contains(nr.DisplayMessage, `Exceeded allowed attempts 2 in interval 1h0m0s and mode is "fail"`) || !nr.FailsTask {
		t.Fatalf("Not Restarting event = %+v; events %s", nr, describe(got))
	}
	if r := findEvent(ts, nomadlike.TaskEventRestarting); r == nil || r.RestartReason != ReasonWithinPolicy || !strings.Contains(r.DisplayMessage, "Task restarting in") {
		t.Errorf("Restarting event = %+v", r)
	}
	if term := findEvent(ts, nomadlike.TaskEventTerminated); term == nil || term.ExitCode != 1 || term.DisplayMessage != "Exit Code: 1" {
		t.Errorf("Terminated event = %+v", term)
	}
}

// TestExitedTasksAreDestroyed: a task that exits on its own is destroyed in
// its driver (cgroup, container, plugin memory) before it is restarted or
// the allocation ends, so that finished work holds nothing on the node.
func TestExitedTasksAreDestroyed(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("flaky", map[string]any{"exit_codes": []any{1, 0}}), task("once", nil))
	a.Job.TaskGroups[0].Tasks[0].RestartPolicy = &nomadlike.RestartPolicy{Attempts: 1, Interval: time.Hour, Delay: time.Millisecond, Mode: "fail"}
	ar := h.start(a)
	waitStatus(t, ar, nomadlike.AllocClientStatusComplete)
	if held := h.host.Held(); len(held) != 0 {
		t.Errorf("driver still holds %v after the allocation completed", held)
	}
	ev := h.host.Events()
	for _, want := range []struct {
		event string
		n     int
	}{{"destroy flaky", 2}, {"destroy once", 1}} {
		if countOf(ev, want.event) != want.n {
			t.Errorf("%q %d times in %v, want %d", want.event, countOf(ev, want.event), ev, want.n)
		}
	}
	// The first run is destroyed before the restart starts a new one.
	first := slices.Index(ev, "destroy flaky")
	second := slices.Index(ev[slices.Index(ev, "start flaky")+1:], "start flaky") + slices.Index(ev, "start flaky") + 1
	if first > second {
		t.Errorf("first run destroyed after the restart started: %v", ev)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

func TestInvalidConfigFailsWithoutRestart(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("bad", map[string]any{"bogus": true}))
	a.Job.TaskGroups[0].Tasks[0].RestartPolicy = &nomadlike.RestartPolicy{Attempts: 3, Interval: time.Hour, Delay: time.Millisecond, Mode: "fail"}
	ar := h.start(a)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	ev := findEvent(got.TaskStates["bad"], nomadlike.TaskEventDriverFailure)
	if ev == nil || !strings.Contains(ev.DisplayMessage, "config.bogus") || !ev.FailsTask {
		t.Fatalf("Driver Failure event = %+v, want one naming config.bogus", ev)
	}
	if findEvent(got.TaskStates["bad"], nomadlike.TaskEventRestarting) != nil || h.host.Starts(a.ID, "bad") != 0 {
		t.Errorf("a task with an invalid config was restarted or started: %s", describe(got))
	}
}

func TestLifecycleOrdering(t *testing.T) {
	h := newHarness(t)
	init := task("init", map[string]any{"run_for": "20ms"})
	init.Lifecycle = &nomadlike.TaskLifecycleConfig{Hook: "prestart"}
	side := task("sidecar", map[string]any{"run_for": "1h"})
	side.Lifecycle = &nomadlike.TaskLifecycleConfig{Hook: "prestart", Sidecar: true}
	post := task("poststart", map[string]any{"run_for": "1h"})
	post.Lifecycle = &nomadlike.TaskLifecycleConfig{Hook: "poststart"}
	cleanup := task("cleanup", nil)
	cleanup.Lifecycle = &nomadlike.TaskLifecycleConfig{Hook: "poststop"}
	main := task("main", map[string]any{"run_for": "50ms"})
	a := batchAlloc(cleanup, main, post, side, init)
	ar := h.start(a)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusComplete)

	ev := h.host.Events()
	idx := func(s string) int {
		i := slices.Index(ev, s)
		if i < 0 {
			t.Fatalf("event %q missing from %v", s, ev)
		}
		return i
	}
	order := [][2]string{
		{"exit init 0", "start main"},   // prestart completes before main starts
		{"start sidecar", "start main"}, // sidecars start with prestart
		{"start main", "start poststart"},
		{"exit main 0", "start cleanup"},
		{"stop sidecar SIGINT 1s", "start cleanup"}, // sidecars are stopped when main tasks finish
		{"stop poststart SIGINT 1s", "start cleanup"},
	}
	for _, o := range order {
		if idx(o[0]) > idx(o[1]) {
			t.Errorf("%q happened after %q: %v", o[0], o[1], ev)
		}
	}
	for name, ts := range got.TaskStates {
		if ts.State != nomadlike.TaskStateDead || ts.Failed {
			t.Errorf("task %s = %s failed=%v, want dead and not failed", name, ts.State, ts.Failed)
		}
	}
}

func TestLeaderAndSiblingFailure(t *testing.T) {
	cases := []struct {
		name       string
		first      map[string]any
		leader     bool
		wantStatus string
		wantEvent  string
	}{
		{"leader exits", map[string]any{"run_for": "10ms"}, true, nomadlike.AllocClientStatusComplete, nomadlike.TaskEventLeaderDead},
		{"sibling fails", map[string]any{"run_for": "10ms", "exit_code": 2}, false, nomadlike.AllocClientStatusFailed, nomadlike.TaskEventSiblingFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			first := task("first", tc.first)
			first.Leader = tc.leader
			a := batchAlloc(first, task("other", map[string]any{"run_for": "1h"}))
			ar := h.start(a)
			got := waitStatus(t, ar, tc.wantStatus)
			poll.Until(t, 5*time.Second, "the other task to be dead", func() (bool, string) {
				got = ar.Alloc()
				return got.TaskStates["other"].State == nomadlike.TaskStateDead, describe(got)
			})
			other := got.TaskStates["other"]
			want := []string{tc.wantEvent, nomadlike.TaskEventKilling, nomadlike.TaskEventKilled}
			if ev := eventTypes(other); !slices.Equal(ev[len(ev)-3:], want) {
				t.Errorf("other's events = %v, want to end with %v", ev, want)
			}
			if other.Failed {
				t.Errorf("a task killed because of another is marked failed")
			}
		})
	}
}

func TestTemplateAndArtifact(t *testing.T) {
	payload := []byte("artifact body")
	sum := sha256.Sum256(payload)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(payload) }))
	t.Cleanup(srv.Close)

	cases := []struct {
		name       string
		checksum   string
		wantStatus string
		wantOut    string
		wantEvent  string
	}{
		{"checksum ok", "sha256:" + hex.EncodeToString(sum[:]), nomadlike.AllocClientStatusComplete, "", nomadlike.TaskEventDownloadingArtifacts},
		{"checksum mismatch", "sha256:" + strings.Repeat("0", 64), nomadlike.AllocClientStatusFailed, "", nomadlike.TaskEventArtifactDownloadFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tk := task("web", map[string]any{"read_file": "local/conf.txt"})
			tk.Templates = []*nomadlike.Template{{
				EmbeddedTmpl: `alloc={{ env "NOMAD_ALLOC_ID" }} greeting={{ env "GREETING" }}`,
				DestPath:     "local/conf.txt", Perms: "0644",
			}}
			tk.Env = map[string]string{"GREETING": "hi"}
			tk.Artifacts = []*nomadlike.TaskArtifact{{
				GetterSource: srv.URL + "/file.bin", RelativeDest: "local/", GetterOptions: map[string]string{"checksum": tc.checksum},
			}}
			a := batchAlloc(tk)
			ar := h.start(a)
			got := waitStatus(t, ar, tc.wantStatus)
			ev := findEvent(got.TaskStates["web"], tc.wantEvent)
			if ev == nil {
				t.Fatalf("no %q event: %s", tc.wantEvent, describe(got))
			}
			if tc.wantStatus == nomadlike.AllocClientStatusFailed {
				if !strings.Contains(ev.DisplayMessage, "checksum mismatch") {
					t.Errorf("event message %q does not say checksum mismatch", ev.DisplayMessage)
				}
				if h.host.Starts(a.ID, "web") != 0 {
					t.Errorf("task started despite a failed artifact")
				}
				return
			}
			// The fake copies local/conf.txt to its stdout log at start: the
			// template was rendered before the task started.
			logb, err := os.ReadFile(filepath.Join(ar.AllocDir().LogDir(), "web.stdout.0"))
			if want := "alloc=" + a.ID + " greeting=hi"; err != nil || string(logb) != want {
				t.Errorf("task saw %q, %v, want %q", logb, err, want)
			}
			art, err := os.ReadFile(filepath.Join(ar.AllocDir().TaskDir("web").LocalDir, "file.bin"))
			if err != nil || string(art) != string(payload) {
				t.Errorf("artifact = %q, %v", art, err)
			}
		})
	}
}

func TestStopAndRecover(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("svc", map[string]any{"run_for": "1h"}))
	ar := h.runner(a, nil)
	go ar.Run()
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)

	// The agent goes away; the task keeps running.
	ar.Shutdown()
	if len(h.host.Running()) != 1 {
		t.Fatalf("running tasks after shutdown = %v, want 1", h.host.Running())
	}
	states, err := h.db.Allocs()
	if err != nil || len(states) != 1 {
		t.Fatalf("persisted allocs = %v, %v", states, err)
	}
	if states[0].Tasks["svc"].Handle == nil {
		t.Fatal("no task handle persisted")
	}

	// A new runner recovers it instead of starting it again.
	ar2 := h.runner(states[0].Alloc, states[0])
	go ar2.Run()
	t.Cleanup(ar2.Destroy)
	waitStatus(t, ar2, nomadlike.AllocClientStatusRunning)
	poll.Until(t, 5*time.Second, "the task to be recovered", func() (bool, string) {
		return slices.Contains(h.host.Events(), "recover svc"), fmt.Sprint(h.host.Events())
	})
	if n := h.host.Starts(a.ID, "svc"); n != 1 {
		t.Fatalf("task started %d times, want 1", n)
	}

	// Restart, signal and exec reach the recovered task.
	if err := ar2.Signal("", "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	tr, _ := ar2.TaskRunner("svc")
	out, err := tr.Exec([]string{"echo", "hi"}, time.Second)
	if err != nil || string(out.Stdout) != "echo hi\n" {
		t.Fatalf("Exec() = %v, %v", out, err)
	}
	if err := ar2.Restart("svc"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "the task to start again", func() (bool, string) {
		return h.host.Starts(a.ID, "svc") == 2 && tr.State().State == nomadlike.TaskStateRunning, describe(ar2.Alloc())
	})

	// The servers stop the allocation.
	stopped := a.Copy()
	stopped.DesiredStatus = nomadlike.AllocDesiredStatusStop
	ar2.Update(stopped)
	got := waitStatus(t, ar2, nomadlike.AllocClientStatusComplete)
	ev := eventTypes(got.TaskStates["svc"])
	if !slices.Contains(ev, nomadlike.TaskEventKilling) || !slices.Contains(ev, nomadlike.TaskEventKilled) {
		t.Errorf("events = %v, want Killing and Killed", ev)
	}
	if len(h.host.Running()) != 0 {
		t.Errorf("tasks still running after stop: %v", h.host.Running())
	}
}

func TestRecoverTaskThatExitedWhileAway(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("job", map[string]any{"run_for": "1h"}))
	ar := h.runner(a, nil)
	go ar.Run()
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	ar.Shutdown()
	states, _ := h.db.Allocs()
	h.host.ExitTask(states[0].Tasks["job"].Handle.Config.ID, 0)

	ar2 := h.runner(states[0].Alloc, states[0])
	go ar2.Run()
	t.Cleanup(ar2.Destroy)
	got := waitStatus(t, ar2, nomadlike.AllocClientStatusComplete)
	if term := findEvent(got.TaskStates["job"], nomadlike.TaskEventTerminated); term == nil || term.ExitCode != 0 {
		t.Errorf("Terminated event = %+v", term)
	}
	if n := h.host.Starts(a.ID, "job"); n != 1 {
		t.Errorf("task started %d times, want 1", n)
	}
}

// TestArtifactRefusedFailsTask: a local artifact source outside the
// allocation (a host file) fails the task at once, without restarts, with
// an event that names the source, and nothing is copied.
func TestArtifactRefusedFailsTask(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root:secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	tk := task("web", nil)
	tk.Artifacts = []*nomadlike.TaskArtifact{{GetterSource: "file://" + secret}}
	a := batchAlloc(tk)
	a.Job.TaskGroups[0].RestartPolicy = &nomadlike.RestartPolicy{Attempts: 3, Interval: time.Minute, Delay: time.Millisecond, Mode: "fail"}
	ar := h.start(a)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	ts := got.TaskStates["web"]
	ev := findEvent(ts, nomadlike.TaskEventArtifactDownloadFailed)
	if ev == nil || !ev.FailsTask || !strings.Contains(ev.DisplayMessage, secret) || !strings.Contains(ev.DisplayMessage, "disable_filesystem_isolation") {
		t.Fatalf("artifact event = %+v, want one that fails the task and names %s: %s", ev, secret, describe(got))
	}
	if ts.Restarts != 0 || h.host.Starts(a.ID, "web") != 0 {
		t.Errorf("restarts = %d, starts = %d, want 0 and 0", ts.Restarts, h.host.Starts(a.ID, "web"))
	}
	if _, err := os.Lstat(filepath.Join(ar.AllocDir().TaskDir("web").LocalDir, "shadow")); !os.IsNotExist(err) {
		t.Errorf("host file copied into the task dir (%v)", err)
	}
}
