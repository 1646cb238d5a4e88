package command

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// allocAgent is an httptest agent serving the allocation endpoints the alloc
// commands use, recording what they were sent.
type allocAgent struct {
	alloc *nomadlike.Allocation
	other *nomadlike.Allocation
	calls []string
	addr  string
}

func newAllocAgent(t *testing.T) *allocAgent {
	job := fixture.BatchJob(1)
	node := fixture.Node()
	a := fixture.Alloc(job, node, 0)
	a.ID = "a1b2c3d4-1111-2222-3333-444455556666"
	a.ClientStatus = nomadlike.AllocClientStatusFailed
	a.ClientDescription = "Failed tasks"
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	a.TaskStates = map[string]*nomadlike.TaskState{"app": {
		State: nomadlike.TaskStateDead, Failed: true, Restarts: 2, StartedAt: nomadlike.Time{Time: time.Unix(0, t0).UTC()}, FinishedAt: nomadlike.Time{Time: time.Unix(0, t0+int64(time.Second)).UTC()},
		Events: []*nomadlike.TaskEvent{
			{Type: nomadlike.TaskEventStarted, Time: t0, DisplayMessage: "Task started by client"},
			{Type: nomadlike.TaskEventTerminated, Time: t0 + 1, ExitCode: 1, DisplayMessage: "Exit Code: 1"},
			{Type: nomadlike.TaskEventNotRestarting, Time: t0 + 2, DisplayMessage: `Exceeded allowed attempts 2 in interval 24h0m0s and mode is "fail"`},
		},
	}}
	other := a.Copy()
	other.ID = "a1ffffff-0000-0000-0000-000000000000"
	ag := &allocAgent{alloc: a, other: other}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/allocations", func(w http.ResponseWriter, r *http.Request) {
		var out []*nomadlike.AllocListStub
		for _, x := range []*nomadlike.Allocation{a, other} {
			if strings.HasPrefix(x.ID, r.URL.Query().Get("prefix")) {
				out = append(out, x.Stub())
			}
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /v1/allocation/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != a.ID {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(a)
	})
	record := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ag.calls = append(ag.calls, r.Method+" "+r.URL.Path+" "+strings.TrimSpace(string(b)))
		switch {
		case strings.HasSuffix(r.URL.Path, "/stop"):
			json.NewEncoder(w).Encode(&api.AllocStopResponse{EvalID: "eval-1"})
		case strings.HasSuffix(r.URL.Path, "/exec"):
			json.NewEncoder(w).Encode(&api.ExecResponse{ExitCode: 2, Stdout: []byte("hello\n"), Stderr: []byte("warn\n")})
		default:
			w.Write([]byte("{}"))
		}
	}
	mux.HandleFunc("PUT /v1/allocation/{id}/stop", record)
	mux.HandleFunc("PUT /v1/client/allocation/{id}/{op}", record)
	mux.HandleFunc("GET /v1/client/allocation/{id}/exec", func(w http.ResponseWriter, r *http.Request) {
		ag.calls = append(ag.calls, "GET "+r.URL.Path+"?"+r.URL.RawQuery)
		fakeExec(t, w, r, "hello\n", 2)
	})
	mux.HandleFunc("GET /v1/client/fs/logs/{id}", func(w http.ResponseWriter, r *http.Request) {
		ag.calls = append(ag.calls, "GET "+r.URL.Path+"?"+r.URL.RawQuery)
		io.WriteString(w, "l1\nl2\nl3\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ag.addr = srv.URL
	return ag
}

func (ag *allocAgent) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	full := append([]string{"nomadlike", "alloc"}, args[0], "-address", ag.addr)
	full = append(full, args[1:]...)
	code := RunWith(full, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestAllocCommands(t *testing.T) {
	ag := newAllocAgent(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string
		call     string // substring of the last recorded call
	}{
		{name: "status", args: []string{"status", "a1b2"}, contains: []string{
			"ID                  = a1b2c3d4", "Client Status       = failed", `Task "app" is "dead"`,
			"Restarts     = 2", "Exit Code    = 1", "Recent Events:", "Not Restarting", `mode is "fail"`, "Exit Code: 1", "CPU", "100 MHz",
		}},
		{name: "status json", args: []string{"status", "-json", "a1b2"}, contains: []string{`"ClientStatus": "failed"`}},
		{name: "ambiguous prefix", args: []string{"status", "a1"}, code: 1},
		{name: "no such alloc", args: []string{"status", "ffff"}, code: 1},
		{name: "logs", args: []string{"logs", "a1b2"}, contains: []string{"l1\nl2\nl3\n"}, call: "task=app"},
		{name: "logs tail stderr", args: []string{"logs", "-stderr", "-tail", "-n", "2", "a1b2", "app"}, contains: []string{"l2\nl3\n"}, call: "origin=end"},
		{name: "logs follow", args: []string{"logs", "-f", "a1b2"}, contains: []string{"l1"}, call: "follow=true"},
		{name: "stop", args: []string{"stop", "a1b2"}, contains: []string{`evaluation ID "eval-1"`}, call: "PUT /v1/allocation/" + ag.alloc.ID + "/stop"},
		{name: "restart task", args: []string{"restart", "a1b2", "app"}, call: `"TaskName":"app"`},
		{name: "signal", args: []string{"signal", "-s", "SIGHUP", "a1b2"}, call: `"Signal":"SIGHUP"`},
		{name: "exec", args: []string{"exec", "-i=false", "a1b2", "echo", "hi"}, code: 2, contains: []string{"hello"}, call: "command=%5B%22echo%22%2C%22hi%22%5D"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := ag.run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit code = %d, want %d; stdout %q stderr %q", code, tc.code, out, errOut)
			}
			for _, want := range tc.contains {
				if !strings.Contains(out, want) {
					t.Errorf("output does not contain %q:\n%s", want, out)
				}
			}
			if tc.call != "" {
				if len(ag.calls) == 0 || !strings.Contains(ag.calls[len(ag.calls)-1], tc.call) {
					t.Errorf("last call = %v, want it to contain %q", ag.calls, tc.call)
				}
			}
		})
	}
	if code, out, _ := ag.run(t, "logs", "-stderr", "-tail", "-n", "2", "a1b2"); code != 0 || strings.Contains(out, "l1") {
		t.Errorf("tail -n 2 printed %q", out)
	}
}
