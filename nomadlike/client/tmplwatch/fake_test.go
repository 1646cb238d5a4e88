package tmplwatch

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// fakeNomad serves Nomad's variable and service read endpoints with
// blocking-query semantics (index, wait, X-Nomad-Index), answering with
// Nomad's own api types so that the client's decoding is checked against
// them. GET /v1/var/:path of a missing variable answers 404 without an
// index, the least a server may do.
type fakeNomad struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	index     uint64
	changedCh chan struct{} // closed and replaced on every write
	vars      map[string]*nomadapi.Variable
	services  map[string][]*nomadapi.ServiceRegistration
	tokens    map[string]bool
	blocking  map[string]int // blocking requests in flight, by path
	maxBlock  map[string]int // the most seen at once, by path
	failures  map[string]int // path -> status to answer (403, 500)
}

func newFakeNomad(t *testing.T) *fakeNomad {
	f := &fakeNomad{t: t, index: 10, changedCh: make(chan struct{}), vars: map[string]*nomadapi.Variable{},
		services: map[string][]*nomadapi.ServiceRegistration{}, tokens: map[string]bool{},
		blocking: map[string]int{}, maxBlock: map[string]int{}, failures: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

func (f *fakeNomad) client() *api.Client {
	c, err := api.NewClient(api.Config{Address: f.srv.URL})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// bumpLocked advances the index and wakes blocked queries.
func (f *fakeNomad) bumpLocked() uint64 {
	f.index++
	close(f.changedCh)
	f.changedCh = make(chan struct{})
	return f.index
}

func (f *fakeNomad) putVar(ns, path string, items map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.bumpLocked()
	v := &nomadapi.Variable{Namespace: ns, Path: path, Items: items, CreateIndex: idx, ModifyIndex: idx, CreateTime: 1, ModifyTime: 2}
	if old := f.vars[ns+"/"+path]; old != nil {
		v.CreateIndex = old.CreateIndex
	}
	f.vars[ns+"/"+path] = v
}

func (f *fakeNomad) putService(ns, name string, regs ...*nomadapi.ServiceRegistration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.bumpLocked()
	for _, r := range regs {
		r.ServiceName, r.Namespace, r.CreateIndex, r.ModifyIndex = name, ns, idx, idx
	}
	f.services[ns+"/"+name] = regs
}

func (f *fakeNomad) fail(path string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == 0 {
		delete(f.failures, path)
	} else {
		f.failures[path] = code
	}
	f.bumpLocked()
}

func (f *fakeNomad) sawToken(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[tok]
}

func (f *fakeNomad) maxBlocking(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxBlock[path]
}

func (f *fakeNomad) serve(w http.ResponseWriter, r *http.Request) {
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = "default"
	}
	index, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	f.mu.Lock()
	f.tokens[r.Header.Get("X-Nomad-Token")] = true
	if code := f.failures[r.URL.Path]; code != 0 {
		f.mu.Unlock()
		http.Error(w, "Permission denied", code)
		return
	}
	if index > 0 {
		f.blocking[r.URL.Path]++
		f.maxBlock[r.URL.Path] = max(f.maxBlock[r.URL.Path], f.blocking[r.URL.Path])
		timeout := time.NewTimer(max(wait, time.Millisecond))
		for f.index <= index {
			ch := f.changedCh
			f.mu.Unlock()
			select {
			case <-ch:
			case <-timeout.C:
			case <-r.Context().Done():
			}
			f.mu.Lock()
			if r.Context().Err() != nil || !timeout.Stop() {
				break
			}
			timeout.Reset(max(wait, time.Millisecond))
		}
		f.blocking[r.URL.Path]--
	}
	body, found := f.answerLocked(r.URL.Path, ns, r.URL.Query().Get("prefix"))
	idx := f.index
	f.mu.Unlock()
	if !found {
		http.Error(w, "variable not found", http.StatusNotFound)
		return
	}
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(idx, 10))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeNomad) answerLocked(path, ns, prefix string) (any, bool) {
	switch {
	case strings.HasPrefix(path, "/v1/var/"):
		v := f.vars[ns+"/"+strings.TrimPrefix(path, "/v1/var/")]
		return v, v != nil
	case path == "/v1/vars":
		out := []*nomadapi.VariableMetadata{}
		for _, v := range f.vars {
			if v.Namespace == ns && strings.HasPrefix(v.Path, prefix) {
				out = append(out, &nomadapi.VariableMetadata{Namespace: v.Namespace, Path: v.Path, CreateIndex: v.CreateIndex, ModifyIndex: v.ModifyIndex})
			}
		}
		return out, true
	case strings.HasPrefix(path, "/v1/service/"):
		out := f.services[ns+"/"+strings.TrimPrefix(path, "/v1/service/")]
		if out == nil {
			out = []*nomadapi.ServiceRegistration{}
		}
		return out, true
	case path == "/v1/services":
		stub := &nomadapi.ServiceRegistrationListStub{Namespace: ns}
		for key, regs := range f.services {
			if name, ok := strings.CutPrefix(key, ns+"/"); ok && len(regs) > 0 {
				stub.Services = append(stub.Services, &nomadapi.ServiceRegistrationStub{ServiceName: name, Tags: regs[0].Tags})
			}
		}
		return []*nomadapi.ServiceRegistrationListStub{stub}, true
	}
	return nil, false
}

// fakeControl records what change modes asked of the task.
type fakeControl struct {
	mu       sync.Mutex
	restarts []string
	signals  []string
	execs    [][]string
	timeouts []time.Duration
	kills    []*nomadlike.TaskEvent
	exitCode int
	err      error // returned by Restart, Signal and Exec
}

func (c *fakeControl) Restart(reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restarts = append(c.restarts, reason)
	return c.err
}

func (c *fakeControl) Signal(sig string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.signals = append(c.signals, sig)
	return c.err
}

func (c *fakeControl) Exec(cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.execs = append(c.execs, cmd)
	c.timeouts = append(c.timeouts, timeout)
	if c.err != nil {
		return nil, c.err
	}
	return &drivers.ExecResult{ExitCode: c.exitCode}, nil
}

func (c *fakeControl) Kill(ev *nomadlike.TaskEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kills = append(c.kills, ev)
}

func (c *fakeControl) counts() (restarts, signals, execs, kills int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.restarts), len(c.signals), len(c.execs), len(c.kills)
}

// events records task events.
type events struct {
	mu  sync.Mutex
	evs []*nomadlike.TaskEvent
}

func (e *events) emit(ev *nomadlike.TaskEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

func (e *events) find(sub string) *nomadlike.TaskEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.evs {
		if strings.Contains(ev.DisplayMessage, sub) {
			return ev
		}
	}
	return nil
}

func (e *events) all() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, ev := range e.evs {
		b.WriteString(ev.Type + ": " + ev.DisplayMessage + "\n")
	}
	return b.String()
}

// manualTimers is a Config.After whose timers the test fires.
type manualTimers struct {
	mu  sync.Mutex
	req []time.Duration
	chs []chan time.Time
}

func (m *manualTimers) after(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	m.req = append(m.req, d)
	m.chs = append(m.chs, ch)
	return ch
}

func (m *manualTimers) requested() []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Duration(nil), m.req...)
}

// fire fires the i-th timer made.
func (m *manualTimers) fire(i int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.chs[i] <- time.Now()
}
