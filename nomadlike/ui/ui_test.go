package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/ui"
)

// uiFixture is the UI over the real API handler on a fake server backend
// (a real state store), with a node, a scheduled service job and a batch
// pipeline job. tokens records the X-Nomad-Token of each API request.
type uiFixture struct {
	fake   *httpapitest.Server
	srv    *httptest.Server
	job    *nomadlike.Job
	pipe   *nomadlike.Job
	mu     sync.Mutex
	tokens []string
	// canned answers API paths the fake has no route for (endpoints that
	// land with other work: /v1/services, /v1/deployments).
	canned map[string]string
}

func newUIFixture(t *testing.T) *uiFixture {
	t.Helper()
	f := &uiFixture{fake: httpapitest.NewServer()}
	f.fake.Schedule = true
	apiH := httpapi.New(httpapi.Config{Server: f.fake, Agent: &httpapitest.Agent{Healthy: true}})
	rec := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.tokens = append(f.tokens, r.Header.Get("X-Nomad-Token"))
		body, ok := f.canned[r.URL.Path]
		f.mu.Unlock()
		if ok {
			w.Header().Set("X-Nomad-Index", "7")
			_, _ = io.WriteString(w, body)
			return
		}
		apiH.ServeHTTP(w, r)
	})
	f.srv = httptest.NewServer(ui.New(ui.Config{API: rec, LiveWait: 300 * time.Millisecond}))
	t.Cleanup(f.srv.Close)
	if _, _, err := f.fake.RegisterNode(fixture.Node(), "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	f.job = fixture.Job()
	f.pipe = fixture.BatchJob(1)
	test := f.pipe.TaskGroups[0].Copy()
	test.Name = "test"
	test.DependsOn = []*nomadlike.GroupDependency{{Group: "work", Condition: "success"}}
	f.pipe.TaskGroups = append(f.pipe.TaskGroups, test)
	for _, j := range []*nomadlike.Job{f.job, f.pipe} {
		if _, _, _, err := f.fake.RegisterJob(j, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// get fetches a UI path and returns the status, body and response.
func (f *uiFixture) get(t *testing.T, path string, hdr ...string) (int, string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return f.do(t, req)
}

func (f *uiFixture) do(t *testing.T, req *http.Request) (int, string, *http.Response) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp
}

func (f *uiFixture) allocID(t *testing.T) string {
	t.Helper()
	allocs, err := f.fake.State().AllocsByJob(nil, f.job.Namespace, f.job.ID)
	if err != nil || len(allocs) == 0 {
		t.Fatalf("no allocation of %s: %v", f.job.ID, err)
	}
	return allocs[0].ID
}

func TestPagesRender(t *testing.T) {
	f := newUIFixture(t)
	tests := []struct {
		name, path string
		want       []string
	}{
		{"jobs", "/ui/jobs", []string{f.job.ID, f.pipe.ID, "running: <strong>", `id="jobs-table"`}},
		{"jobs filtered", "/ui/jobs?type=batch&status=running&prefix=batch-", []string{f.pipe.ID, "of type batch"}},
		{"jobs filter excludes", "/ui/jobs?type=system", []string{"No jobs match."}},
		{"job", "/ui/job?id=" + url.QueryEscape(f.job.ID), []string{"Job " + f.job.ID, `id="stop-job"`, "Task groups", `id="allocs-table"`}},
		{"job pipeline", "/ui/job?id=" + url.QueryEscape(f.pipe.ID), []string{"Pipeline", "work (success)"}},
		{"allocation", "/ui/allocations/" + f.allocID(t), []string{"Allocation ", "Logs", `data-logs="/ui/allocations/`}},
		{"nodes", "/ui/nodes", []string{"<meter", "MHz"}},
		{"topology", "/ui/topology", []string{"<svg", f.job.ID}},
		{"evaluations", "/ui/evaluations", []string{"job-register"}},
		{"servers", "/ui/servers", []string{"Raft leader"}},
		{"deployments", "/ui/deployments", []string{"<caption>Deployments</caption>"}},
		{"services", "/ui/services", []string{"No services are registered."}},
		{"token", "/ui/settings/tokens", []string{`type="password"`, `name="csrf"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, resp := f.get(t, tt.path)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200\n%s", tt.path, code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q", tt.path, w)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("GET %s: Content-Security-Policy = %q", tt.path, csp)
			}
		})
	}
}

// TestCatalogPages: the services and deployments pages read Nomad's shapes
// of /v1/services, /v1/service/:name and /v1/deployments.
func TestCatalogPages(t *testing.T) {
	f := newUIFixture(t)
	f.mu.Lock()
	f.canned = map[string]string{
		"/v1/services":    `[{"Namespace":"default","Services":[{"ServiceName":"web","Tags":["http"]}]}]`,
		"/v1/service/web": `[{"ID":"_nomad-task-1","ServiceName":"web","Namespace":"default","NodeID":"n1","JobID":"shop","AllocID":"a1b2c3d4-0000","Address":"10.0.0.5","Port":8080,"Status":"critical"}]`,
		"/v1/deployments": `[{"ID":"d-1","JobID":"shop","Namespace":"default","Status":"running","StatusDescription":"Deployment is running"}]`,
	}
	f.mu.Unlock()
	for _, tt := range []struct{ path, want string }{
		{"/ui/services", "10.0.0.5:8080"},
		{"/ui/services", `st-critical">critical`},
		{"/ui/deployments", "Deployment is running"},
	} {
		if code, body, _ := f.get(t, tt.path); code != http.StatusOK || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d, want %q in:\n%s", tt.path, code, tt.want, body)
		}
	}
}

func TestPageNotFoundExplained(t *testing.T) {
	f := newUIFixture(t)
	code, body, _ := f.get(t, "/ui/job?id=nope")
	if code != http.StatusNotFound || !strings.Contains(body, "Not found") {
		t.Errorf("GET a missing job = %d %q, want 404 explained", code, body)
	}
}

// TestFragmentFollowsIndex: the live fragment at the page's index waits for
// a change and then shows it, without the layout.
func TestFragmentFollowsIndex(t *testing.T) {
	f := newUIFixture(t)
	_, _, resp := f.get(t, "/ui/jobs")
	index := resp.Header.Get("X-UI-Index")
	if index == "" || index == "0" {
		t.Fatalf("X-UI-Index = %q, want the page's raft index", index)
	}
	other := fixture.Job()
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(50 * time.Millisecond) // while the fragment waits
		_, _, _, _ = f.fake.RegisterJob(other, false, 0)
	}()
	code, body, resp := f.get(t, "/ui/jobs?fragment=1&index="+index)
	<-done
	if code != http.StatusOK || strings.Contains(body, "<html") {
		t.Fatalf("fragment = %d, want 200 without the layout:\n%s", code, body)
	}
	if !strings.Contains(body, other.ID) {
		// The wait may have ended before the write landed: once more.
		_, body, _ = f.get(t, "/ui/jobs?fragment=1&index="+index)
		if !strings.Contains(body, other.ID) {
			t.Errorf("fragment after a new job lacks it (index %s -> %s)", index, resp.Header.Get("X-UI-Index"))
		}
	}
}

// csrfOf reads the csrf field of a page.
func csrfOf(t *testing.T, body string) string {
	t.Helper()
	const key = `name="csrf" value="`
	i := strings.Index(body, key)
	if i < 0 {
		t.Fatal("page has no csrf field")
	}
	rest := body[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestPostNeedsCSRF: the Stop button's POST is refused, and stops nothing,
// without the page's CSRF token or from another site.
func TestPostNeedsCSRF(t *testing.T) {
	f := newUIFixture(t)
	_, page, _ := f.get(t, "/ui/job?id="+url.QueryEscape(f.job.ID))
	good := csrfOf(t, page)
	tests := []struct {
		name      string
		csrf      string
		hdr       []string
		wantCode  int
		wantStops bool
	}{
		{"no csrf", "", nil, http.StatusForbidden, false},
		{"wrong csrf", "x" + good[1:], nil, http.StatusForbidden, false},
		{"cross-site fetch", good, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden, false},
		{"other origin", good, []string{"Origin", "http://evil.example"}, http.StatusForbidden, false},
		{"null origin", good, []string{"Origin", "null"}, http.StatusForbidden, false},
		{"same origin", good, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"id": {f.job.ID}, "namespace": {"default"}, "csrf": {tt.csrf}}
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/ui/job/stop", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				req.Header.Set(tt.hdr[i], tt.hdr[i+1])
			}
			code, body, _ := f.do(t, req)
			if code != tt.wantCode {
				t.Fatalf("POST stop = %d, want %d\n%s", code, tt.wantCode, body)
			}
			j, _ := f.fake.State().JobByID(nil, "default", f.job.ID)
			if j.Stop != tt.wantStops {
				t.Errorf("job stopped = %v, want %v", j.Stop, tt.wantStops)
			}
		})
	}
}

// TestTokenCookie: the token form stores the token in an HttpOnly,
// SameSite=Strict cookie; later pages send it to the API; an open
// redirect through ?next is refused.
func TestTokenCookie(t *testing.T) {
	f := newUIFixture(t)
	_, page, _ := f.get(t, "/ui/settings/tokens")
	form := url.Values{"token": {"s3cret-token"}, "csrf": {csrfOf(t, page)}, "next": {"//evil.example/x"}}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/ui/settings/tokens", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, _, resp := f.do(t, req)
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/jobs" {
		t.Fatalf("POST token = %d to %q, want 303 to /ui/jobs", code, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "nomadlike_ui_token" {
			c = ck
		}
	}
	if c == nil || c.Value != "s3cret-token" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui/" {
		t.Fatalf("token cookie = %+v, want HttpOnly SameSite=Strict Path=/ui/", c)
	}
	f.mu.Lock()
	f.tokens = nil
	f.mu.Unlock()
	f.get(t, "/ui/jobs", "Cookie", "nomadlike_ui_token=s3cret-token")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tokens) == 0 || f.tokens[0] != "s3cret-token" {
		t.Errorf("API saw tokens %q, want the session's", f.tokens)
	}
}

// TestLogsStream: the logs endpoint answers as server-sent events and
// explains an API failure as a "failure" event (the fake has no client).
func TestLogsStream(t *testing.T) {
	f := newUIFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/ui/allocations/"+f.allocID(t)+"/logs?task=app", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(string(b), "event: failure\ndata: ") {
		t.Errorf("logs without a client = %q, want a failure event", b)
	}
}

// TestJobVersionDiff: the job page lists what changed between versions.
func TestJobVersionDiff(t *testing.T) {
	f := newUIFixture(t)
	next := f.job.Copy()
	next.TaskGroups[0].Tasks[0].Env = map[string]string{"FOO": "baz"}
	if _, _, _, err := f.fake.RegisterJob(next, false, 0); err != nil {
		t.Fatal(err)
	}
	code, body, _ := f.get(t, "/ui/job?id="+url.QueryEscape(f.job.ID))
	if code != http.StatusOK {
		t.Fatalf("job page = %d", code)
	}
	for _, want := range []string{`id="versions-table"`, "group web › task app › Env › FOO", "<del>bar</del> → <ins>baz</ins>"} {
		if !strings.Contains(body, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
}

// TestJobsOutcomeFilter: the outcome filter on jobs that have no outcome
// (not finished, or not batch) is no error, just no match; the browser
// test lists a failed pipeline with it.
func TestJobsOutcomeFilter(t *testing.T) {
	f := newUIFixture(t)
	code, body, _ := f.get(t, "/ui/jobs?outcome=failed")
	if code != http.StatusOK || !strings.Contains(body, "No jobs match.") {
		t.Fatalf("outcome=failed with no finished job = %d:\n%s", code, body)
	}
}
