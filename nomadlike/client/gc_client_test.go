package client_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client"
)

// TestClientGCMaxAllocs: with gc_max_allocs = 1 the client collects its
// terminal allocations oldest first down to one, keeps their logs readable
// through the logs API, and keeps those of an allocation the servers
// forgot too.
func TestClientGCMaxAllocs(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.GC = client.GCConfig{Interval: 20 * time.Millisecond, MaxAllocs: 1,
		Usage: func(string) (client.Usage, error) { return client.Usage{}, nil }}
	c := e.start(cfg)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var allocs []*nomadlike.Allocation
	for _, out := range []string{"one\n", "two\n", "three\n"} {
		a := e.alloc(c.NodeID(), map[string]any{"stdout": out})
		e.waitServerStatus(a.ID, nomadlike.AllocClientStatusComplete)
		allocs = append(allocs, a)
	}
	dir := func(a *nomadlike.Allocation) string { return filepath.Join(e.dataDir, "alloc", a.ID) }
	poll.Until(t, 10*time.Second, "two alloc dirs to be collected", func() (bool, string) {
		_, err0 := os.Stat(dir(allocs[0]))
		_, err1 := os.Stat(dir(allocs[1]))
		return os.IsNotExist(err0) && os.IsNotExist(err1), "the two oldest alloc dirs were not collected"
	})
	if _, err := os.Stat(dir(allocs[2])); err != nil {
		t.Fatalf("the newest allocation was collected: %v", err)
	}
	for i, want := range []string{"one\n", "two\n", "three\n"} {
		if code, body := get("/v1/client/fs/logs/" + allocs[i].ID + "?plain=true"); code != 200 || body != want {
			t.Errorf("logs of alloc %d = %d %q, want %q", i, code, body, want)
		}
	}
	code, body := get("/v1/client/allocation/" + allocs[0].ID + "/retained-logs")
	var ra client.RetainedAlloc
	if code != 200 || json.Unmarshal([]byte(body), &ra) != nil || ra.ID != allocs[0].ID || len(ra.Tasks) != 1 || ra.Tasks[0] != "app" {
		t.Errorf("retained-logs = %d %q", code, body)
	}
	if code, body := get("/v1/client/allocation/" + allocs[2].ID + "/retained-logs"); code != 404 {
		t.Errorf("retained-logs of a live allocation = %d %q, want 404", code, body)
	}
	if code, body := get("/v1/client/fs/logs/" + allocs[0].ID + "?plain=true&task=nope"); code != 404 || !strings.Contains(body, "unknown task") {
		t.Errorf("logs of an unknown task = %d %q", code, body)
	}

	// The servers forget the newest: destroyed, its logs kept too.
	e.server.DeleteAlloc(allocs[2].ID)
	poll.Until(t, 5*time.Second, "the third alloc dir to be collected", func() (bool, string) {
		_, err := os.Stat(dir(allocs[2]))
		return os.IsNotExist(err), "alloc dir still exists"
	})
	if code, body := get("/v1/client/fs/logs/" + allocs[2].ID + "?plain=true"); code != 200 || body != "three\n" {
		t.Errorf("logs of the forgotten alloc = %d %q", code, body)
	}
}

// TestClientAllocGC: PUT /v1/client/allocation/:id/gc refuses a running
// allocation and collects a finished one.
func TestClientAllocGC(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.GC = client.GCConfig{Interval: time.Hour}
	c := e.start(cfg)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	put := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	running := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	done := e.alloc(c.NodeID(), map[string]any{"stdout": "bye\n"})
	e.waitServerStatus(running.ID, nomadlike.AllocClientStatusRunning)
	e.waitServerStatus(done.ID, nomadlike.AllocClientStatusComplete)
	if code := put("/v1/client/allocation/" + running.ID + "/gc"); code != http.StatusConflict {
		t.Errorf("GC of a running allocation = %d, want 409", code)
	}
	if code := put("/v1/client/allocation/" + done.ID + "/gc"); code != http.StatusOK {
		t.Errorf("GC of a finished allocation = %d, want 200", code)
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, "alloc", done.ID)); !os.IsNotExist(err) {
		t.Errorf("alloc dir after GC: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, "alloc", running.ID)); err != nil {
		t.Errorf("running alloc dir: %v", err)
	}
	if code := put("/v1/client/gc"); code != http.StatusOK {
		t.Errorf("PUT /v1/client/gc = %d", code)
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, "alloc", running.ID)); err != nil {
		t.Errorf("running alloc dir after a full GC: %v", err)
	}
}
