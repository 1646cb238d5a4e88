package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// zeros is a request body of n bytes, produced on the fly, that counts
// what was read of it.
type zeros struct{ left, read int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	clear(p[:n])
	z.left -= n
	z.read += n
	return int(n), nil
}

// TestBodyLimits sends 50 MB bodies to the real handler: each is refused
// with 413 naming its route's limit, having read no more than the limit,
// and nothing is registered.
func TestBodyLimits(t *testing.T) {
	fake := httpapitest.NewServer()
	h := httpapi.New(httpapi.Config{Server: fake, Agent: &httpapitest.Agent{Healthy: true}})
	cases := []struct {
		name, method, path string
		chunked            bool
		limit              int64
		want               string
	}{
		{"job register, length declared", "PUT", "/v1/jobs", false, httpapi.DefaultJobBodyLimit, "8 MiB"},
		{"job register, chunked", "PUT", "/v1/jobs", true, httpapi.DefaultJobBodyLimit, "8 MiB"},
		{"job plan, chunked", "POST", "/v1/job/web/plan", true, httpapi.DefaultJobBodyLimit, "8 MiB"},
		{"alloc stop, chunked", "POST", "/v1/allocation/x/stop", true, httpapi.DefaultOtherBodyLimit, "64 KiB"},
		{"node eligibility, chunked", "PUT", "/v1/node/x/eligibility", true, httpapi.DefaultOtherBodyLimit, "64 KiB"},
		{"client update, chunked", "PUT", "/v1/client/allocations/update", true, httpapi.DefaultClientBodyLimit, "32 MiB"},
		{"forwarded client signal, declared", "POST", "/v1/client/allocation/x/signal", false, httpapi.DefaultOtherBodyLimit, "64 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := &zeros{left: 50 << 20}
			r := httptest.NewRequest(tc.method, tc.path, io.NopCloser(body))
			r.ContentLength = 50 << 20
			maxRead := int64(0)
			if tc.chunked {
				r.ContentLength = -1
				maxRead = tc.limit + 1
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%s %s (50 MB) = %d %.200q, want 413 naming %s", tc.method, tc.path, w.Code, w.Body.String(), tc.want)
			}
			if body.read > maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", body.read, maxRead)
			}
		})
	}
	if n := fake.Registered(); n != 0 {
		t.Errorf("%d jobs registered by refused requests", n)
	}
	// A body within the limit still works.
	ta := newTestAPI(t, fake)
	if code, _, body := ta.do(t, "PUT", "/v1/jobs", `{"Job": {"ID": "ok"}}`); code == http.StatusRequestEntityTooLarge {
		t.Errorf("small register = %d %s", code, body)
	}
}

// TestBogusIDShortError: a 30 MB ID in a path, a query value or a body
// field gets an error under 1 KiB that quotes a prefix and the length.
func TestBogusIDShortError(t *testing.T) {
	fake := httpapitest.NewServer()
	h := httpapi.New(httpapi.Config{Server: fake, Agent: &httpapitest.Agent{Healthy: true}})
	huge := strings.Repeat("z", 30<<20)
	mid := strings.Repeat("y", 4<<20)
	cases := []struct {
		name, method, target, body string
		code                       int
	}{
		{"job path", "GET", "/v1/job/" + huge, "", 404},
		{"job summary path", "GET", "/v1/job/" + huge + "/summary", "", 404},
		{"alloc path", "GET", "/v1/allocation/" + huge, "", 404},
		{"eval path", "GET", "/v1/evaluation/" + huge, "", 404},
		{"node path", "GET", "/v1/node/" + huge, "", 404},
		{"index query", "GET", "/v1/jobs?index=" + huge, "", 400},
		{"per_page query", "GET", "/v1/jobs?per_page=" + huge, "", 400},
		{"client route", "GET", "/v1/client/fs/logs/" + huge, "", 404},
		{"body ID against path", "PUT", "/v1/job/web", `{"Job": {"ID": "` + mid + `"}}`, 400},
		{"eligibility value", "PUT", "/v1/node/x/eligibility", `{"Eligibility": "` + strings.Repeat("e", 60<<10) + `"}`, 400},
		{"number literal", "PUT", "/v1/jobs", `{"Job": {"Priority": ` + strings.Repeat("9", 1<<20) + `}}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code || w.Body.Len() >= 1024 {
				t.Errorf("%s = %d with a %d-byte body %.300q; want %d under 1 KiB", tc.name, w.Code, w.Body.Len(), w.Body.String(), tc.code)
			}
			if tc.code != 404 && !strings.Contains(w.Body.String(), " bytes)") {
				t.Errorf("%s = %q, want the input's length named", tc.name, w.Body.String())
			}
		})
	}
}

// listFixture serves 7 jobs (odd ones batch) of 3 allocations each on
// one node, and returns the test API, Nomad's own Go client for it and
// the node.
func listFixture(t *testing.T) (*testAPI, *nomadapi.Client, *nomadlike.Node, []string) {
	t.Helper()
	fake := httpapitest.NewServer()
	ta := newTestAPI(t, fake)
	node := fixture.Node()
	if _, _, err := fake.RegisterNode(node, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	var wantJobs []string
	for i := range 7 {
		job := fixture.Job()
		job.ID, job.Name = fmt.Sprintf("job-%02d", i), fmt.Sprintf("job-%02d", i)
		if i%2 == 1 {
			job.Type = nomadlike.JobTypeBatch
		}
		if _, _, _, err := fake.RegisterJob(job, false, 0); err != nil {
			t.Fatal(err)
		}
		wantJobs = append(wantJobs, job.ID)
		for k := range 3 {
			fake.PutAlloc(fixture.Alloc(job, node, k))
		}
	}
	c, err := nomadapi.NewClient(&nomadapi.Config{Address: ta.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return ta, c, node, wantJobs
}

// TestNomadAPIPagination lists through Nomad's own Go client with
// QueryOptions{PerPage, NextToken, Filter, Reverse} against the handler.
func TestNomadAPIPagination(t *testing.T) {
	_, c, node, wantJobs := listFixture(t)
	// Jobs, three at a time.
	var got []string
	q := &nomadapi.QueryOptions{PerPage: 3}
	for pages := 0; ; pages++ {
		jobs, qm, err := c.Jobs().List(q)
		if err != nil {
			t.Fatalf("Jobs().List(%+v): %v", q, err)
		}
		if len(jobs) > 3 || pages > 3 {
			t.Fatalf("page %d has %d jobs, want at most 3", pages, len(jobs))
		}
		for _, j := range jobs {
			got = append(got, j.ID)
		}
		if qm.NextToken == "" {
			break
		}
		q.NextToken = qm.NextToken
	}
	if strings.Join(got, ",") != strings.Join(wantJobs, ",") {
		t.Errorf("jobs by pages = %v, want %v", got, wantJobs)
	}

	cases := []struct {
		name string
		list func(q *nomadapi.QueryOptions) ([]string, string, error)
		q    nomadapi.QueryOptions
		want string
		next string
	}{
		{"jobs filter", jobIDs(c), nomadapi.QueryOptions{Filter: `Type == "batch"`}, "job-01,job-03,job-05", ""},
		{"jobs filter and page", jobIDs(c), nomadapi.QueryOptions{Filter: `Type == "batch"`, PerPage: 2}, "job-01,job-03", "default.job-05"},
		{"jobs from token", jobIDs(c), nomadapi.QueryOptions{NextToken: "default.job-05"}, "job-05,job-06", ""},
		{"jobs reverse", jobIDs(c), nomadapi.QueryOptions{Reverse: true, PerPage: 2}, "job-05,job-06", "default.job-04"},
		{"jobs reverse from token", jobIDs(c), nomadapi.QueryOptions{Reverse: true, NextToken: "default.job-01"}, "job-00,job-01", ""},
		{"jobs regexp", jobIDs(c), nomadapi.QueryOptions{Filter: `ID matches "0[26]$"`}, "job-02,job-06", ""},
		{"allocs filter", allocJobs(c), nomadapi.QueryOptions{Filter: `JobID == "job-04" and TaskGroup == "web"`}, "job-04,job-04,job-04", ""},
		{"evals filter", evalJobs(c), nomadapi.QueryOptions{Filter: `JobID == "job-00" or JobID == "job-02"`}, "job-02,job-00", ""},
		{"nodes filter", nodeIDs(c), nomadapi.QueryOptions{Filter: `Status == "ready" and Name == "` + node.Name + `"`}, node.ID, ""},
		{"nodes filter none", nodeIDs(c), nomadapi.QueryOptions{Filter: `Name == "other"`}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids, next, err := tc.list(&tc.q)
			if err != nil {
				t.Fatalf("List(%+v): %v", tc.q, err)
			}
			if strings.Join(ids, ",") != tc.want || next != tc.next {
				t.Errorf("List(%+v) = %v next %q, want %s next %q", tc.q, ids, next, tc.want, tc.next)
			}
		})
	}

}

// TestNomadAPIPagesAddUp walks allocations page by page with Nomad's
// client, and reads a reversed page's own order.
func TestNomadAPIPagesAddUp(t *testing.T) {
	ta, c, _, _ := listFixture(t)
	// Allocations page by page add up to the whole list, each once.
	all, _, err := c.Allocations().List(nil)
	if err != nil || len(all) != 21 {
		t.Fatalf("Allocations().List = %d, %v; want 21", len(all), err)
	}
	seen := map[string]int{}
	aq := &nomadapi.QueryOptions{PerPage: 4}
	for pages := 0; pages < 10; pages++ {
		page, qm, err := c.Allocations().List(aq)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			seen[a.ID]++
		}
		if qm.NextToken == "" {
			break
		}
		aq.NextToken = qm.NextToken
	}
	for _, a := range all {
		if seen[a.ID] != 1 {
			t.Errorf("alloc %s seen %d times in the pages, want once", a.ID, seen[a.ID])
		}
	}

	// Nomad's client sorts what it gets; the answer's own order is the
	// list's, reversed with ?reverse.
	code, hdr, body := ta.do(t, "GET", "/v1/jobs?reverse=true&per_page=2", "")
	if i6, i5 := strings.Index(body, `"ID":"job-06"`), strings.Index(body, `"ID":"job-05"`); code != 200 || i6 < 0 || i5 < i6 || hdr.Get("X-Nomad-NextToken") != "default.job-04" {
		t.Errorf("GET /v1/jobs?reverse=true&per_page=2 = %d %s %.300s, want job-06 then job-05", code, hdr.Get("X-Nomad-NextToken"), body)
	}

}

// TestListParamErrors: bad list parameters are 400s naming the parameter.
func TestListParamErrors(t *testing.T) {
	ta, _, _, _ := listFixture(t)
	bad := []struct{ name, path, want string }{
		{"filter syntax", "/v1/jobs?filter=" + "Type%20%3D%3D", "filter:"},
		{"unknown selector", "/v1/jobs?filter=Nope%20%3D%3D%20%22x%22", "filter:"},
		{"per_page", "/v1/allocations?per_page=-1", "per_page"},
		{"eval token", "/v1/evaluations?next_token=abc", "next_token"},
		{"filter with job", "/v1/evaluations?job=x&filter=JobID%20%3D%3D%20%22x%22", "cannot be combined"},
		{"node secret is not a selector", "/v1/nodes?filter=SecretID%20%3D%3D%20%22x%22", "filter:"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := ta.do(t, "GET", tc.path, "")
			if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("GET %s = %d %q, want 400 with %q", tc.path, code, body, tc.want)
			}
		})
	}
}

// listOf adapts one of Nomad's client list calls to the IDs (or other
// field) of what it answered and the next token.
func listOf[T any](list func(*nomadapi.QueryOptions) ([]T, *nomadapi.QueryMeta, error), field func(T) string) func(*nomadapi.QueryOptions) ([]string, string, error) {
	return func(q *nomadapi.QueryOptions) ([]string, string, error) {
		items, qm, err := list(q)
		if err != nil {
			return nil, "", err
		}
		var out []string
		for _, it := range items {
			out = append(out, field(it))
		}
		return out, qm.NextToken, nil
	}
}

func jobIDs(c *nomadapi.Client) func(*nomadapi.QueryOptions) ([]string, string, error) {
	return listOf(c.Jobs().List, func(j *nomadapi.JobListStub) string { return j.ID })
}

func allocJobs(c *nomadapi.Client) func(*nomadapi.QueryOptions) ([]string, string, error) {
	return listOf(c.Allocations().List, func(a *nomadapi.AllocationListStub) string { return a.JobID })
}

func evalJobs(c *nomadapi.Client) func(*nomadapi.QueryOptions) ([]string, string, error) {
	return listOf(c.Evaluations().List, func(e *nomadapi.Evaluation) string { return e.JobID })
}

func nodeIDs(c *nomadapi.Client) func(*nomadapi.QueryOptions) ([]string, string, error) {
	return listOf(c.Nodes().List, func(n *nomadapi.NodeListStub) string { return n.ID })
}
