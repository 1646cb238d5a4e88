package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jobsIndex returns the jobs table index the cluster reports and the
// number of jobs.
func jobsIndex(ctx context.Context, tb testing.TB, a *faultAgent) (uint64, int) {
	tb.Helper()
	jobs, qm, err := a.client.Jobs().List(ctx, nil)
	if err != nil {
		tb.Fatalf("list jobs: %v", err)
	}
	return qm.LastIndex, len(jobs)
}

// TestFaultBadInput: bad input end to end, through the CLI and raw HTTP.
// Each gets an error that says what is wrong and where, and the cluster's
// jobs are unchanged; a job with a driver no node has is accepted (as in
// Nomad) but its placement fails naming the missing driver and it gets no
// allocation.
func TestFaultBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 1, clients: 1})
	srv := c.servers[0]
	addr := "http://" + srv.HTTPAddr()
	dir := t.TempDir()

	huge := make([]byte, 40<<20)
	copy(huge, `{"Job": {"ID": "huge", "Meta": {"x": "`)
	for i := 40; i < len(huge)-4; i++ {
		huge[i] = 'a'
	}
	copy(huge[len(huge)-4:], `"}}}`)

	cases := []struct {
		name string
		// file is a job file for `job run`; body a raw PUT /v1/jobs body.
		file, body string
		raw        []byte
		wantCode   int      // exit code or HTTP status
		want       []string // all in the error text
	}{
		{name: "corrupt job file", file: "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \n",
			wantCode: 1, want: []string{"bad.hcl:4"}},
		{name: "job file with a wrong type", file: "job \"x\" {\n  group \"g\" {\n    count = \"many\"\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\n",
			wantCode: 1, want: []string{"bad.hcl:3", "count"}},
		{name: "malformed JSON body", body: `{"Job": {"ID": "x", `, wantCode: http.StatusBadRequest,
			want: []string{"malformed JSON", "line 1"}},
		{name: "wrong JSON type", body: `{"Job": {"ID": 5}}`, wantCode: http.StatusBadRequest,
			want: []string{"Job.ID"}},
		{name: "invalid job", body: `{"Job": {"ID": "x", "Type": "batch", "TaskGroups": [{"Name": "g", "Count": -1}]}}`,
			wantCode: http.StatusBadRequest, want: []string{"Count"}},
		{name: "huge body", raw: huge, wantCode: http.StatusRequestEntityTooLarge, want: []string{"request body too large"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			index, n := jobsIndex(ctx, t, srv)
			var code int
			var text string
			if tc.file != "" {
				path := filepath.Join(dir, "bad.hcl")
				if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
				code, text = runCLI(ctx, t, "job", "run", "-address", addr, path)
			} else {
				body := tc.raw
				if body == nil {
					body = []byte(tc.body)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodPut, addr+"/v1/jobs", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("PUT /v1/jobs: %v", err)
				}
				var b bytes.Buffer
				_, _ = b.ReadFrom(resp.Body)
				resp.Body.Close()
				code, text = resp.StatusCode, b.String()
			}
			if code != tc.wantCode {
				t.Fatalf("code = %d, want %d; output:\n%s", code, tc.wantCode, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("error %q does not mention %q", strings.TrimSpace(text), w)
				}
			}
			if i2, n2 := jobsIndex(ctx, t, srv); i2 != index || n2 != n {
				t.Fatalf("jobs changed: index %d → %d, count %d → %d", index, i2, n, n2)
			}
		})
	}

	t.Run("unknown driver", func(t *testing.T) {
		path := filepath.Join(dir, "nodriver.hcl")
		file := "job \"nodriver\" {\n  datacenters = [\"dc1\"]\n  type = \"batch\"\n  group \"g\" {\n    task \"t\" {\n" +
			"      driver = \"nosuchdriver\"\n      config {\n        command = \"/bin/true\"\n      }\n    }\n  }\n}\n"
		if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		code, text := runCLI(ctx, t, "job", "run", "-address", addr, path)
		if code != 2 {
			t.Fatalf("job run exit code = %d, want 2 (placement failed); output:\n%s", code, text)
		}
		if !strings.Contains(text, "missing drivers") {
			t.Errorf("job run output does not name the missing driver:\n%s", text)
		}
		allocs, err := jobAllocs(ctx, srv.client, "nodriver")
		if err != nil {
			t.Fatal(err)
		}
		if len(allocs) != 0 {
			t.Fatalf("job with an unknown driver got %d allocations, want 0", len(allocs))
		}
	})
}
