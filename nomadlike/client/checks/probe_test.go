package checks

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

const fast = 50 * time.Millisecond

func TestProbesAgainstRealServers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Method != http.MethodPost || r.Header.Get("X-Probe") != "yes" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			b := new(bytes.Buffer)
			_, _ = b.ReadFrom(r.Body)
			_, _ = w.Write([]byte("body=" + b.String()))
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	httpAddr := strings.TrimPrefix(srv.URL, "http://")

	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("up", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	go func() { _ = gs.Serve(gl) }()
	defer gs.Stop()

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name   string
		addr   string
		check  nomadlike.ServiceCheck
		status string
		output string
	}{
		{"http 200 with method header body", httpAddr, nomadlike.ServiceCheck{Type: "http", Path: "/ok", Method: "POST",
			Header: map[string][]string{"X-Probe": {"yes"}}, Body: "ping"}, "success", "body=ping"},
		{"http 429 is a warning", httpAddr, nomadlike.ServiceCheck{Type: "http", Path: "/busy"}, "failure", "warning: "},
		{"http 500", httpAddr, nomadlike.ServiceCheck{Type: "http", Path: "/bad"}, "failure", "500"},
		{"tcp open", httpAddr, nomadlike.ServiceCheck{Type: "tcp"}, "success", "Success"},
		{"tcp closed", closedAddr, nomadlike.ServiceCheck{Type: "tcp"}, "failure", "refused"},
		{"grpc serving", gl.Addr().String(), nomadlike.ServiceCheck{Type: "grpc", GRPCService: "up"}, "success", "SERVING"},
		{"grpc not serving", gl.Addr().String(), nomadlike.ServiceCheck{Type: "grpc", GRPCService: "down"}, "failure", "NOT_SERVING"},
		{"grpc unknown service", gl.Addr().String(), nomadlike.ServiceCheck{Type: "grpc", GRPCService: "nope"}, "failure", "NotFound"},
	}
	m := startManager(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.check
			c.Name, c.Interval, c.Timeout = "c", fast, time.Second
			a := testAlloc(t, tc.name, tc.addr, &c)
			m.Register(a, newFakeTasks())
			defer m.Deregister(a.ID)
			poll.Until(t, 10*time.Second, "the check result", func() (bool, string) {
				r := onlyResult(m, a.ID)
				return r.Status == tc.status && strings.Contains(r.Output, tc.output) && r.Timestamp != 0, r.Status + " " + r.Output
			})
		})
	}
}

func TestScriptCheckExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		status Status
	}{
		{"exit 0 passing", 0, StatusPassing},
		{"exit 1 warning", 1, StatusWarning},
		{"exit 2 critical", 2, StatusCritical},
	}
	m := startManager(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTasks()
			ft.exitCode, ft.stdout = tc.code, "said "+tc.name
			c := &nomadlike.ServiceCheck{Name: "s", Type: "script", Command: "/bin/check", Interval: fast}
			a := testAlloc(t, tc.name, "127.0.0.1:1", c)
			m.Register(a, ft)
			defer m.Deregister(a.ID)
			poll.Until(t, 10*time.Second, "the check result and service status", func() (bool, string) {
				ss := m.ServiceStatuses(a.ID)
				r := onlyResult(m, a.ID)
				return len(ss) == 1 && ss[0].Status == tc.status && r.StatusCode == tc.code && strings.Contains(r.Output, "said"), r.Output
			})
		})
	}
}
