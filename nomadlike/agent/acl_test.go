package agent

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestACLEnabledAgent: a server agent with acl.enabled refuses anonymous
// requests on every route but the public ones (the cluster key is no
// token then), and the ACL store's tokens open exactly what their policies
// grant: bootstrap once, a management token reads everything, a client
// token with a read policy on "default" lists jobs but cannot submit one
// nor read agent or operator routes.
func TestACLEnabledAgent(t *testing.T) {
	key := strings.Repeat("A", 43) + "="
	a, c := devServer(t, func(cfg *Config) {
		cfg.ACL.Enabled = true
		cfg.Server.Encrypt = key
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitLeader(ctx, t, c)

	anonymous := []struct {
		method, path string
		hdr          map[string]string
		want         int
	}{
		{"GET", "/v1/agent/health", nil, http.StatusOK},
		{"GET", "/v1/jobs", nil, http.StatusForbidden},
		{"GET", "/v1/agent/self", nil, http.StatusForbidden},
		{"GET", "/v1/metrics", nil, http.StatusForbidden},
		{"GET", "/debug/pprof/", nil, http.StatusForbidden},
		{"GET", "/v1/acl/tokens", nil, http.StatusForbidden},
		{"GET", "/v1/jobs", map[string]string{"X-Nomad-Token": "00000000-0000-0000-0000-000000000000"}, http.StatusForbidden},
		{"GET", "/v1/operator/snapshot", map[string]string{"X-Nomad-Token": key}, http.StatusForbidden},
	}
	for _, tc := range anonymous {
		if code, body := send(t, a, tc.method, tc.path, "", tc.hdr); code != tc.want {
			t.Errorf("%s %s = %d %.200q, want %d", tc.method, tc.path, code, body, tc.want)
		}
	}

	root, _, err := c.ACLTokens().Bootstrap(ctx, "", nil)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if _, _, err := c.ACLTokens().Bootstrap(ctx, "", nil); err == nil {
		t.Fatal("second bootstrap succeeded, want refused")
	}
	mgmt := map[string]string{"X-Nomad-Token": root.SecretID}
	for _, path := range []string{"/v1/jobs", "/v1/agent/self", "/v1/metrics", "/v1/acl/tokens"} {
		if code, body := send(t, a, "GET", path, "", mgmt); code != http.StatusOK {
			t.Errorf("management GET %s = %d %.200q, want 200", path, code, body)
		}
	}

	mc, err := api.NewClient(api.Config{Address: a.HTTPAddr(), Token: root.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	pol := &nomadlike.ACLPolicy{Name: "readonly", Rules: `namespace "default" { policy = "read" }`}
	if _, err := mc.ACLPolicies().Upsert(ctx, pol, nil); err != nil {
		t.Fatalf("upsert policy: %v", err)
	}
	tok, _, err := mc.ACLTokens().Create(ctx, &nomadlike.ACLToken{Name: "reader", Type: "client", Policies: []string{"readonly"}}, nil)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	reader := map[string]string{"Authorization": "Bearer " + tok.SecretID}
	job := `{"Job":{"ID":"x","Name":"x","Type":"batch","Datacenters":["dc1"],"TaskGroups":[{"Name":"g","Count":1,"Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/true"}}]}]}}`
	readerCases := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/v1/jobs", "", http.StatusOK},
		{"GET", "/v1/jobs?namespace=other", "", http.StatusForbidden},
		{"PUT", "/v1/jobs", job, http.StatusForbidden},
		{"GET", "/v1/agent/self", "", http.StatusForbidden},
		{"GET", "/v1/operator/raft/configuration", "", http.StatusForbidden},
		{"GET", "/v1/acl/token/self", "", http.StatusOK},
		{"GET", "/v1/acl/policy/readonly", "", http.StatusOK},
		{"GET", "/v1/acl/tokens", "", http.StatusForbidden},
	}
	for _, tc := range readerCases {
		if code, body := send(t, a, tc.method, tc.path, tc.body, reader); code != tc.want {
			t.Errorf("reader %s %s = %d %.200q, want %d", tc.method, tc.path, code, body, tc.want)
		}
	}
	// Deleting the token takes its rights away at once.
	if _, err := mc.ACLTokens().Delete(ctx, tok.AccessorID, nil); err != nil {
		t.Fatal(err)
	}
	if code, body := send(t, a, "GET", "/v1/jobs", "", reader); code != http.StatusForbidden {
		t.Errorf("deleted token GET /v1/jobs = %d %.200q, want 403", code, body)
	}
}
