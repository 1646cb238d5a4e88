package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestAllocations(t *testing.T) {
	type seen struct{ method, path, query, body string }
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b)})
		w.Header().Set("X-Nomad-Index", "7")
		switch {
		case r.URL.Path == "/v1/allocations":
			json.NewEncoder(w).Encode([]*nomadlike.AllocListStub{{ID: "abcd1234-0000"}})
		case r.URL.Path == "/v1/allocation/abcd1234-0000":
			json.NewEncoder(w).Encode(&nomadlike.Allocation{ID: "abcd1234-0000", TaskGroup: "web"})
		case strings.HasSuffix(r.URL.Path, "/stop"):
			json.NewEncoder(w).Encode(&AllocStopResponse{EvalID: "e1"})
		case strings.HasSuffix(r.URL.Path, "/exec"):
			json.NewEncoder(w).Encode(&ExecResponse{ExitCode: 3, Stdout: []byte("out")})
		case strings.HasSuffix(r.URL.Path, "/stats"):
			json.NewEncoder(w).Encode(&AllocResourceUsage{Tasks: map[string]*TaskResourceUsage{"web": {PidCount: 2}}})
		case strings.HasPrefix(r.URL.Path, "/v1/client/fs/logs/"):
			if r.URL.Query().Get("plain") == "true" {
				io.WriteString(w, "raw log")
				return
			}
			json.NewEncoder(w).Encode(&StreamFrame{Data: []byte("a"), File: "alloc/logs/web.stdout.0"})
			json.NewEncoder(w).Encode(&StreamFrame{Data: []byte("b"), Offset: 1, File: "alloc/logs/web.stdout.0"})
		case r.URL.Path == "/v1/allocation/missing":
			http.Error(w, "alloc not found", http.StatusNotFound)
		default:
			w.Write([]byte("{}"))
		}
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := c.Allocations()

	list, qm, err := a.PrefixList(ctx, "abcd")
	if err != nil || len(list) != 1 || qm.LastIndex != 7 {
		t.Fatalf("PrefixList() = %v, %+v, %v", list, qm, err)
	}
	if q := got[len(got)-1].query; !strings.Contains(q, "prefix=abcd") || !strings.Contains(q, "namespace=%2A") {
		t.Errorf("PrefixList query = %q", q)
	}
	if al, _, err := a.Info(ctx, "abcd1234-0000", nil); err != nil || al.TaskGroup != "web" {
		t.Errorf("Info() = %+v, %v", al, err)
	}
	if _, _, err := a.Info(ctx, "missing", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Info(missing) error = %v, want ErrNotFound", err)
	}
	if resp, _, err := a.Stop(ctx, "abcd1234-0000", nil); err != nil || resp.EvalID != "e1" || resp.Index != 7 {
		t.Errorf("Stop() = %+v, %v", resp, err)
	}
	if err := a.Restart(ctx, "abcd1234-0000", "web"); err != nil {
		t.Fatal(err)
	}
	if s := got[len(got)-1]; s.method != "PUT" || s.path != "/v1/client/allocation/abcd1234-0000/restart" || !strings.Contains(s.body, `"TaskName":"web"`) {
		t.Errorf("Restart sent %+v", s)
	}
	if err := a.Signal(ctx, "abcd1234-0000", "", "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if s := got[len(got)-1]; s.path != "/v1/client/allocation/abcd1234-0000/signal" || !strings.Contains(s.body, `"Signal":"SIGHUP"`) {
		t.Errorf("Signal sent %+v", s)
	}
	if er, err := a.Exec(ctx, "abcd1234-0000", "web", []string{"ls"}, 0); err != nil || er.ExitCode != 3 || string(er.Stdout) != "out" {
		t.Errorf("Exec() = %+v, %v", er, err)
	}
	if st, err := a.Stats(ctx, "abcd1234-0000"); err != nil || st.Tasks["web"].PidCount != 2 {
		t.Errorf("Stats() = %+v, %v", st, err)
	}
	rc, err := a.Logs(ctx, "abcd1234-0000", LogsOptions{Task: "web", Type: "stderr", Origin: "end", Offset: 10, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	q := got[len(got)-1].query
	if string(b) != "raw log" || !strings.Contains(q, "follow=true") || !strings.Contains(q, "offset=10") || !strings.Contains(q, "type=stderr") {
		t.Errorf("Logs() = %q with query %q", b, q)
	}
	var data string
	if err := a.LogFrames(ctx, "abcd1234-0000", LogsOptions{}, func(f *StreamFrame) error { data += string(f.Data); return nil }); err != nil || data != "ab" {
		t.Errorf("LogFrames() = %q, %v", data, err)
	}
}
