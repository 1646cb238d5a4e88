package checks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestThresholds(t *testing.T) {
	P, C := Result{Status: StatusPassing}, Result{Status: StatusCritical}
	tests := []struct {
		name    string
		def     nomadlike.ServiceCheck
		results []Result
		want    []Status
	}{
		{"default pending then follows", nomadlike.ServiceCheck{}, []Result{P, C, P}, []Status{StatusPassing, StatusCritical, StatusPassing}},
		{"initial_status critical", nomadlike.ServiceCheck{InitialStatus: "critical"}, []Result{}, []Status{}},
		{"success_before_passing 3", nomadlike.ServiceCheck{SuccessBeforePassing: 3}, []Result{P, P, C, P, P, P},
			[]Status{StatusPending, StatusPending, StatusCritical, StatusCritical, StatusCritical, StatusPassing}},
		{"failures_before_critical 2", nomadlike.ServiceCheck{FailuresBeforeCritical: 2}, []Result{P, C, P, C, C},
			[]Status{StatusPassing, StatusPassing, StatusPassing, StatusPassing, StatusCritical}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &check{def: &tc.def}
			c.reset()
			if len(tc.results) == 0 && c.status != Status(tc.def.InitialStatus) {
				t.Fatalf("initial status %s, want %s", c.status, tc.def.InitialStatus)
			}
			for i, r := range tc.results {
				c.apply(r)
				if c.status != tc.want[i] {
					t.Fatalf("after result %d (%s): status %s, want %s", i, r.Status, c.status, tc.want[i])
				}
			}
		})
	}
}

func TestRestartDue(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name    string
		cr      nomadlike.CheckRestart
		started time.Time
		status  Status
		runs    int
		want    bool
	}{
		{"limit reached", nomadlike.CheckRestart{Limit: 3}, now.Add(-time.Minute), StatusCritical, 3, true},
		{"below limit", nomadlike.CheckRestart{Limit: 3}, now.Add(-time.Minute), StatusCritical, 2, false},
		{"in grace", nomadlike.CheckRestart{Limit: 1, Grace: time.Hour}, now.Add(-time.Minute), StatusCritical, 5, false},
		{"warning counts", nomadlike.CheckRestart{Limit: 2}, now.Add(-time.Minute), StatusWarning, 2, true},
		{"ignore_warnings", nomadlike.CheckRestart{Limit: 2, IgnoreWarnings: true}, now.Add(-time.Minute), StatusWarning, 5, false},
		{"passing", nomadlike.CheckRestart{Limit: 1}, now.Add(-time.Minute), StatusPassing, 5, false},
		{"limit 0 never", nomadlike.CheckRestart{}, now.Add(-time.Minute), StatusCritical, 5, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &check{def: &nomadlike.ServiceCheck{}, restart: &tc.cr, status: tc.status}
			got := false
			for i := 0; i < tc.runs; i++ {
				got = c.restartDue(now, tc.started)
			}
			if got != tc.want {
				t.Fatalf("restartDue = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCheckRestartRestartsTask runs a failing http check with
// check_restart against a real server and sees the task restarted.
func TestCheckRestartRestartsTask(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer srv.Close()
	m := startManager(t)
	ft := newFakeTasks()
	c := &nomadlike.ServiceCheck{Name: "h", Type: "http", Path: "/", Interval: fast, CheckRestart: &nomadlike.CheckRestart{Limit: 2}}
	a := testAlloc(t, "restart", strings.TrimPrefix(srv.URL, "http://"), c)
	m.Register(a, ft)
	defer m.Deregister(a.ID)
	poll.Until(t, 10*time.Second, "a restart", func() (bool, string) {
		return ft.restartCount() >= 1, "no restart yet"
	})
	if ft.restarts[0] != "web" {
		t.Fatalf("restarted %q, want web", ft.restarts[0])
	}
}

func TestResultsDecodeAsNomadAPI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	m := startManager(t)
	c := &nomadlike.ServiceCheck{Name: "alive", Type: "http", Interval: fast, OnUpdate: "ignore"}
	a := testAlloc(t, "decode", strings.TrimPrefix(srv.URL, "http://"), c)
	m.Register(a, newFakeTasks())
	defer m.Deregister(a.ID)
	poll.Until(t, 10*time.Second, "the check to succeed", func() (bool, string) {
		r := onlyResult(m, a.ID)
		return r.Status == "success", r.Status
	})
	b, err := json.Marshal(m.Results(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	var out napi.AllocCheckStatuses
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for id, s := range out {
		if s.ID != id || s.Check != "alive" || s.Service != "web" || s.Task != "web" || s.Group != "g" ||
			s.Mode != "readiness" || s.StatusCode != 200 || s.Timestamp == 0 {
			t.Fatalf("decoded %+v", s)
		}
		return
	}
	t.Fatal("no check decoded")
}

func TestStatusSeamNotifiesChanges(t *testing.T) {
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	m := startManager(t)
	var mu sync.Mutex
	var seen []ServiceStatus
	m.Watch(func(s ServiceStatus) {
		mu.Lock()
		seen = append(seen, s)
		mu.Unlock()
	})
	last := func() (ServiceStatus, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return ServiceStatus{}, 0
		}
		return seen[len(seen)-1], len(seen)
	}
	a := testAlloc(t, "seam", strings.TrimPrefix(srv.URL, "http://"),
		&nomadlike.ServiceCheck{Name: "h", Type: "http", Interval: fast},
		&nomadlike.ServiceCheck{Name: "t", Type: "tcp", Interval: fast})
	m.Register(a, newFakeTasks())
	for _, want := range []Status{StatusCritical, StatusPassing} {
		healthy.Store(want == StatusPassing)
		poll.Until(t, 10*time.Second, "the check status", func() (bool, string) {
			s, _ := last()
			return s.Status == want && s.Service == "web" && s.Task == "web" && s.AllocID == a.ID, string(s.Status)
		})
		if got := m.ServiceStatuses(a.ID); len(got) != 1 || got[0].Status != want {
			t.Fatalf("ServiceStatuses = %+v, want one %s", got, want)
		}
	}
	m.Deregister(a.ID)
	s, _ := last()
	if !s.Removed {
		t.Fatalf("last notification %+v, want Removed", s)
	}
	if m.ServiceStatuses(a.ID) != nil || m.Len() != 0 {
		t.Fatal("checks still registered after Deregister")
	}
}

func TestUnresolvablePortIsCritical(t *testing.T) {
	m := startManager(t)
	c := &nomadlike.ServiceCheck{Name: "x", Type: "http", PortLabel: "nosuch", Interval: fast}
	a := testAlloc(t, "noport", "127.0.0.1:1", c)
	m.Register(a, newFakeTasks())
	defer m.Deregister(a.ID)
	r := onlyResult(m, a.ID)
	if r.Status != "failure" || !strings.Contains(r.Output, "nosuch") {
		t.Fatalf("result %+v", r)
	}
	if m.AllHealthy(a.ID) {
		t.Fatal("AllHealthy with a critical check")
	}
}

// TestFirstRunSoonWithLongInterval: a check with a long interval runs
// its first time within firstRunWindow, not somewhere in its first
// interval (the instance is critical in the catalog until then, and an
// agent restart registers every check again).
func TestFirstRunSoonWithLongInterval(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	m := startManager(t)
	var ids []string
	for i := 0; i < 5; i++ { // five IDs: five different spreads
		a := testAlloc(t, fmt.Sprintf("slow%d", i), strings.TrimPrefix(srv.URL, "http://"),
			&nomadlike.ServiceCheck{Name: "h", Type: "http", Interval: time.Hour})
		m.Register(a, newFakeTasks())
		ids = append(ids, a.ID)
	}
	poll.Until(t, firstRunWindow+5*time.Second, "every alloc's service to pass", func() (bool, string) {
		for _, id := range ids {
			if got := m.ServiceStatuses(id); len(got) != 1 || got[0].Status != StatusPassing {
				return false, fmt.Sprintf("alloc %s: %+v", id, got)
			}
		}
		return true, ""
	})
}
