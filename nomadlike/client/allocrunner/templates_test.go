package allocrunner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/render"
	"github.com/nomadlike/nomadlike/nomadlike/client/tmplwatch"
)

// memSource is an in-memory tmplwatch.Source whose Fetch blocks until the
// data changed since the caller's cursor.
type memSource struct {
	mu      sync.Mutex
	index   uint64
	vars    map[string]map[string]string
	changed chan struct{}
	tokens  map[string]bool
}

func newMemSource() *memSource {
	return &memSource{index: 1, vars: map[string]map[string]string{}, changed: make(chan struct{}), tokens: map[string]bool{}}
}

func (s *memSource) put(path string, items map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vars[path] = items
	s.index++
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *memSource) Fetch(ctx context.Context, d render.Dep, token string, prev tmplwatch.Cursor) (any, tmplwatch.Cursor, error) {
	s.mu.Lock()
	s.tokens[token] = true
	for s.index <= prev.Index {
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, prev, ctx.Err()
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	cur := tmplwatch.Cursor{Index: s.index}
	items, ok := s.vars[d.Name]
	if !ok {
		return nil, cur, nil
	}
	return &api.TmplVariable{Path: d.Name, Namespace: d.Namespace, Items: items}, cur, nil
}

const pw = `{{ with nomadVar "nomad/jobs/app" }}{{ .password }}{{ end }}`

func templateHarness(t *testing.T) (*harness, *memSource) {
	h := newHarness(t)
	src := newMemSource()
	h.templates = TemplateConfig{Source: src, Seed: 1, Token: func(_ *allocdir.AllocDir, a *nomadlike.Allocation, task string) string {
		return "identity-of-" + task
	}}
	return h, src
}

func readTaskFile(ar *AllocRunner, task, rel string) string {
	b, _ := os.ReadFile(filepath.Join(ar.AllocDir().TaskDir(task).Dir, rel))
	return string(b)
}

func waitTaskEvent(t *testing.T, ar *AllocRunner, task, typ, sub string) {
	t.Helper()
	poll.Until(t, 10*time.Second, "the task event", func() (bool, string) {
		a := ar.Alloc()
		for _, e := range a.TaskStates[task].Events {
			if e.Type == typ && strings.Contains(e.DisplayMessage, sub) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("no %s event with %q: %v", typ, sub, eventTypes(a.TaskStates[task]))
	})
}

func TestTemplateChangeRestartsTask(t *testing.T) {
	h, src := templateHarness(t)
	src.put("nomad/jobs/app", map[string]string{"password": "one"})
	tk := task("web", map[string]any{"run_for": "1h"})
	tk.Templates = []*nomadlike.Template{
		{EmbeddedTmpl: pw, DestPath: "secrets/pw", ChangeMode: "restart"},
		{EmbeddedTmpl: "PW=" + pw, DestPath: "secrets/pw.env", ChangeMode: "noop", Envvars: true},
	}
	a := batchAlloc(tk)
	ar := h.start(a)
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	if got := readTaskFile(ar, "web", "secrets/pw"); got != "one" {
		t.Fatalf("rendered %q, want one", got)
	}
	if env := h.host.LastConfig(a.ID, "web").Env; env["PW"] != "one" {
		t.Fatalf("task env PW = %q, want one", env["PW"])
	}
	src.put("nomad/jobs/app", map[string]string{"password": "two"})
	poll.Until(t, 10*time.Second, "the task to restart", func() (bool, string) {
		n := h.host.Starts(a.ID, "web")
		return n == 2, fmt.Sprintf("%d starts, want 2", n)
	})
	waitTaskEvent(t, ar, "web", nomadlike.TaskEventRestartSignal, "Template with env = true re-rendered")
	if got := readTaskFile(ar, "web", "secrets/pw"); got != "two" {
		t.Errorf("rendered %q after the change, want two", got)
	}
	poll.Until(t, 10*time.Second, "the new env after the restart", func() (bool, string) {
		env := h.host.LastConfig(a.ID, "web").Env
		return env["PW"] == "two", fmt.Sprintf("task env PW = %q after the restart, want two", env["PW"])
	})
	src.mu.Lock()
	defer src.mu.Unlock()
	if !src.tokens["identity-of-web"] {
		t.Errorf("queries did not carry the task's token: %v", src.tokens)
	}
}

func TestTemplateChangeSignalsAndRunsScript(t *testing.T) {
	h, src := templateHarness(t)
	src.put("nomad/jobs/app", map[string]string{"password": "one"})
	tk := task("web", map[string]any{"run_for": "1h"})
	tk.Templates = []*nomadlike.Template{
		{EmbeddedTmpl: pw, DestPath: "local/a", ChangeMode: "signal", ChangeSignal: "SIGHUP"},
		{EmbeddedTmpl: pw, DestPath: "local/b", ChangeMode: "script", ChangeScript: &nomadlike.ChangeScript{Command: "/bin/reload", Args: []string{"now"}}},
	}
	a := batchAlloc(tk)
	ar := h.start(a)
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	src.put("nomad/jobs/app", map[string]string{"password": "two"})
	waitTaskEvent(t, ar, "web", nomadlike.TaskEventSignaling, "SIGHUP")
	waitTaskEvent(t, ar, "web", tmplwatch.EventHookMessage, "Template successfully ran script /bin/reload")
	if n := h.host.Starts(a.ID, "web"); n != 1 {
		t.Errorf("%d starts, want 1 (signal and script do not restart)", n)
	}
}

func TestTemplateMissingDataBlocksStart(t *testing.T) {
	h, src := templateHarness(t)
	tk := task("web", map[string]any{"run_for": "1h"})
	tk.Templates = []*nomadlike.Template{{EmbeddedTmpl: pw, DestPath: "local/a", ChangeMode: "restart"}}
	a := batchAlloc(tk)
	ar := h.start(a)
	waitTaskEvent(t, ar, "web", tmplwatch.EventHookMessage, "Missing: nomad.var.block(nomad/jobs/app@"+a.Namespace+")")
	if n := h.host.Starts(a.ID, "web"); n != 0 {
		t.Fatalf("task started before its template's data existed")
	}
	src.put("nomad/jobs/app", map[string]string{"password": "one"})
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	// A kill while a render waits ends the wait.
	h2, _ := templateHarness(t)
	ar2 := h2.start(batchAlloc(tk))
	waitTaskEvent(t, ar2, "web", tmplwatch.EventHookMessage, "Missing:")
	ar2.Kill()
	select {
	case <-ar2.WaitCh():
	case <-time.After(10 * time.Second):
		t.Fatal("the allocation did not stop while its template waited for data")
	}
}

func TestTemplateWithoutSourceFailsTask(t *testing.T) {
	h := newHarness(t)
	tk := task("web", map[string]any{"run_for": "1h"})
	tk.Templates = []*nomadlike.Template{{EmbeddedTmpl: pw, DestPath: "local/a"}}
	ar := h.start(batchAlloc(tk))
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	ev := findEvent(got.TaskStates["web"], nomadlike.TaskEventTemplateFailed)
	if ev == nil || !strings.Contains(ev.DisplayMessage, "need a server connection") {
		t.Fatalf("no Template Failed event naming the missing connection: %s", describe(got))
	}
}

func TestKillThatFailsTask(t *testing.T) {
	h := newHarness(t)
	a := batchAlloc(task("web", map[string]any{"run_for": "1h"}))
	ar := h.start(a)
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	ev := newEvent(nomadlike.TaskEventTemplateFailed, "Template failed to run script /bin/reload with arguments []: exit code 1")
	ev.FailsTask = true
	taskControl{ar.tasks["web"]}.Kill(ev)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	if findEvent(got.TaskStates["web"], nomadlike.TaskEventTemplateFailed) == nil {
		t.Errorf("no Template Failed event: %s", describe(got))
	}
}

func TestTemplatesFollowRecoveredTask(t *testing.T) {
	h, src := templateHarness(t)
	src.put("nomad/jobs/app", map[string]string{"password": "one"})
	tk := task("web", map[string]any{"run_for": "1h"})
	tk.Templates = []*nomadlike.Template{{EmbeddedTmpl: pw, DestPath: "local/a", ChangeMode: "signal", ChangeSignal: "SIGUSR1"}}
	a := batchAlloc(tk)
	ar := h.runner(a, nil)
	go ar.Run()
	waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
	ar.Shutdown() // the agent goes away; the task keeps running
	<-ar.WaitCh()
	states, err := h.db.Allocs()
	if err != nil || len(states) != 1 {
		t.Fatalf("persisted allocs = %v, %v", states, err)
	}
	ar2 := h.runner(states[0].Alloc, states[0])
	go ar2.Run()
	t.Cleanup(ar2.Destroy)
	waitStatus(t, ar2, nomadlike.AllocClientStatusRunning)
	// The new agent watches the data again: a change signals the task.
	poll.Until(t, 10*time.Second, "the template re-render", func() (bool, string) {
		src.put("nomad/jobs/app", map[string]string{"password": fmt.Sprint("v", time.Now().UnixNano())})
		for _, e := range h.host.Events() {
			if e == "signal web SIGUSR1" {
				return true, ""
			}
		}
		return false, fmt.Sprint(h.host.Events())
	})
	if n := h.host.Starts(a.ID, "web"); n != 1 {
		t.Errorf("task started %d times, want 1 (recovered, not restarted)", n)
	}
}
