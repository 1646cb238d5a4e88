package agent

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestACLEnabledAgent: with acl.enabled a server agent either resolves
// tokens with its ACL store and refuses anonymous requests on every route
// but the public ones (the cluster key is no token then), or, when its
// server has no ACL store, does not start: it never serves with ACLs
// silently off.
func TestACLEnabledAgent(t *testing.T) {
	cfg := DevConfig()
	cfg.Name = "test-" + t.Name()
	cfg.Client.Enabled = false
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	cfg.ACL.Enabled = true
	key := strings.Repeat("A", 43) + "="
	cfg.Server.Encrypt = key
	a, err := New(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}}))
	if errors.Is(err, errNoACLStore) {
		t.Logf("the server has no ACL store: New = %v (fails closed)", err)
		return
	}
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.Shutdown() })
	cases := []struct {
		method, path string
		hdr          map[string]string
		want         int
	}{
		{"GET", "/v1/agent/health", nil, http.StatusOK},
		{"GET", "/v1/jobs", nil, http.StatusForbidden},
		{"GET", "/v1/agent/self", nil, http.StatusForbidden},
		{"GET", "/v1/metrics", nil, http.StatusForbidden},
		{"GET", "/debug/pprof/", nil, http.StatusForbidden},
		{"GET", "/v1/operator/snapshot", map[string]string{"X-Nomad-Token": key}, http.StatusForbidden},
	}
	for _, tc := range cases {
		if code, body := send(t, a, tc.method, tc.path, "", tc.hdr); code != tc.want {
			t.Errorf("%s %s = %d %.200q, want %d", tc.method, tc.path, code, body, tc.want)
		}
	}
}
