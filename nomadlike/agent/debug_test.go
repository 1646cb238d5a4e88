package agent

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
		withDebug(api, tc.enabled).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("withDebug(enabled=%v) GET %s = %d, want %d", tc.enabled, tc.path, rec.Code, tc.want)
		}
	}
}
