package agent

import (
	"errors"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
)

// withDebug serves Go's profiler under /debug/pprof/ next to the API when
// enabled (enable_debug = true, or -dev), and only the API otherwise. With
// ACLs on (res not nil) a profile needs a token with agent:write, as
// Nomad's /v1/agent/pprof: a profile shows internals and costs CPU.
func withDebug(api http.Handler, enabled bool, res httpapi.ACLResolver) http.Handler {
	if !enabled {
		return api
	}
	mux := http.NewServeMux()
	for _, rt := range debugRoutes {
		mux.HandleFunc(rt.pattern, rt.fn)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			if res != nil && !debugAllowed(w, r, res) {
				return
			}
			mux.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// debugRoutes are the profiler's routes, all behind agent:write (the ACL
// route matrix test walks them).
var debugRoutes = []struct {
	pattern string
	fn      http.HandlerFunc
}{
	{"/debug/pprof/", pprof.Index}, // also heap, goroutine, allocs, block, mutex by name
	{"/debug/pprof/cmdline", pprof.Cmdline},
	{"/debug/pprof/profile", pprof.Profile},
	{"/debug/pprof/symbol", pprof.Symbol},
	{"/debug/pprof/trace", pprof.Trace},
}

// debugAllowed checks the request's token for agent:write and answers 403
// (or 500 when the token cannot be resolved) when it is missing.
func debugAllowed(w http.ResponseWriter, r *http.Request, res httpapi.ACLResolver) bool {
	a, err := res.ResolveToken(api.RequestToken(r))
	switch {
	case errors.Is(err, nomadlike.ErrTokenNotFound):
		http.Error(w, err.Error(), http.StatusForbidden)
		return false
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return false
	case a == nil || !a.AllowAgentWrite():
		http.Error(w, "permission denied: the profiler needs a token with agent:write", http.StatusForbidden)
		return false
	}
	return true
}
