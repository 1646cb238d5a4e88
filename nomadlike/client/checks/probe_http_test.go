package checks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestHTTPProbeConnections: one kept connection serves every run; a
// server that closes after each answer (busybox httpd does) and a server
// that restarts still give passing runs; https with tls_skip_verify works.
func TestHTTPProbeConnections(t *testing.T) {
	tests := []struct {
		name      string
		closeEach bool
		tls       bool
		maxConns  int64
	}{
		{"keep-alive reuses one connection", false, false, 1},
		{"server closes each connection", true, false, 1 << 30},
		{"https with tls_skip_verify", false, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var conns, hits atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tc.closeEach {
					w.Header().Set("Connection", "close")
				}
				_, _ = w.Write([]byte("fine"))
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			addr := strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://")
			c := &nomadlike.ServiceCheck{Name: "h", Type: "http", Path: "/", Interval: 20 * time.Millisecond, Timeout: time.Second}
			if tc.tls {
				c.Protocol, c.TLSSkipVerify = "https", true
			}
			m := startManager(t)
			a := testAlloc(t, "conn", addr, c)
			m.Register(a, newFakeTasks())
			defer m.Deregister(a.ID)
			poll.Until(t, 10*time.Second, "five successful HTTP probes", func() (bool, string) {
				r := onlyResult(m, a.ID)
				return hits.Load() >= 5 && r.Status == "success", r.Status + " " + r.Output
			})
			if n := conns.Load(); n > tc.maxConns {
				t.Fatalf("%d connections for %d runs, want at most %d", n, hits.Load(), tc.maxConns)
			}
		})
	}
}

func TestHTTPProbeServerRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	serve := func(l net.Listener) *http.Server {
		s := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), ReadHeaderTimeout: time.Second}
		go func() { _ = s.Serve(l) }()
		return s
	}
	s := serve(l)
	m := startManager(t)
	a := testAlloc(t, "restart-srv", addr, &nomadlike.ServiceCheck{Name: "h", Type: "http", Interval: 20 * time.Millisecond, Timeout: time.Second})
	m.Register(a, newFakeTasks())
	defer m.Deregister(a.ID)
	for _, want := range []string{"success", "failure", "success"} {
		switch want {
		case "failure":
			_ = s.Close()
		case "success":
			if s == nil {
				l, err := net.Listen("tcp", addr)
				if err != nil {
					t.Skipf("port taken meanwhile: %v", err)
				}
				s = serve(l)
			}
		}
		poll.Until(t, 10*time.Second, "the HTTP check result", func() (bool, string) {
			r := onlyResult(m, a.ID)
			return r.Status == want, r.Status + " " + r.Output
		})
		if want == "failure" {
			s = nil
		}
	}
	_ = s.Close()
}
