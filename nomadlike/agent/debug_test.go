package agent

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
)

func TestEnableDebugParsed(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "a.hcl", "enable_debug = true\n")
	cfg, err := LoadConfig(DefaultConfig(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.EnableDebug {
		t.Errorf("enable_debug = true parsed as EnableDebug = false")
	}
}

func TestWithDebug(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, tc := range []struct {
		enabled bool
		path    string
		want    int
	}{
		{true, "/debug/pprof/", http.StatusOK},
		{true, "/debug/pprof/goroutine?debug=1", http.StatusOK},
		{true, "/v1/jobs", http.StatusTeapot},
		{false, "/debug/pprof/", http.StatusTeapot},
	} {
		rec := httptest.NewRecorder()
		withDebug(api, tc.enabled, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("withDebug(enabled=%v) GET %s = %d, want %d", tc.enabled, tc.path, rec.Code, tc.want)
		}
	}
}

// agentResolver grants agent:write to "writer", agent:read to "reader",
// nothing to anonymous; other secrets are unknown.
type agentResolver struct{}

func (agentResolver) ResolveToken(secret string) (*acl.ACL, error) {
	src := map[string]string{"writer": `agent { policy = "write" }`, "reader": `agent { policy = "read" }`, "": ""}[secret]
	if _, ok := map[string]bool{"writer": true, "reader": true, "": true}[secret]; !ok {
		return nil, fmt.Errorf("%w", nomadlike.ErrTokenNotFound)
	}
	if src == "" {
		return acl.Compile()
	}
	p, err := acl.Parse(secret, []byte(src))
	if err != nil {
		return nil, err
	}
	return acl.Compile(p)
}

// TestWithDebugACL: with ACLs on, a profile needs agent:write.
func TestWithDebugACL(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := withDebug(api, true, agentResolver{})
	for _, tc := range []struct {
		name, hdr, val string
		want           int
	}{
		{"anonymous", "", "", http.StatusForbidden},
		{"agent:read", "X-Nomad-Token", "reader", http.StatusForbidden},
		{"unknown token", "X-Nomad-Token", "who", http.StatusForbidden},
		{"agent:write", "X-Nomad-Token", "writer", http.StatusOK},
		{"agent:write bearer", "Authorization", "Bearer writer", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/debug/pprof/goroutine?debug=1", nil)
			if tc.hdr != "" {
				req.Header.Set(tc.hdr, tc.val)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("GET /debug/pprof/goroutine = %d, want %d", rec.Code, tc.want)
			}
		})
	}
}
