package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"
	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

// realBackend is a real in-memory server behind the handler, as the
// agent's adapter puts it (Peers and PlanJob converted).
type realBackend struct{ *server.Server }

func (b realBackend) State() httpapi.Store { return b.Server.State() }

func (b realBackend) Peers() []httpapi.Peer { return nil }

func (b realBackend) PlanJob(*nomadlike.Job, bool) (*api.JobPlanResponse, error) {
	return nil, errors.New("not used")
}

// The server is the ACL store behind the routes and the resolver the
// enforcement uses.
var (
	_ httpapi.ACLBackend  = (*server.Server)(nil)
	_ httpapi.ACLResolver = (*server.Server)(nil)
)

// aclAgent starts a dev server that leads and an HTTP server with the real
// handler in front of it, and returns a Nomad API client for it.
func aclAgent(t *testing.T) (*nomadapi.Client, *server.Server) {
	t.Helper()
	return devServerAgent(t, "acl-test", 0)
}

// devServerAgent starts a dev server (with schedulers workers) that leads
// and an HTTP server with the real handler in front of it, and returns a
// Nomad API client for it.
func devServerAgent(t *testing.T, name string, schedulers int) (*nomadapi.Client, *server.Server) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Dev, cfg.NumSchedulers, cfg.NodeName = true, schedulers, name
	_, cfg.RaftTransport = raft.NewInmemTransport("")
	cfg.RaftApplyTimeout = 5 * time.Second
	s, err := server.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	poll.UntilTrue(t, 10*time.Second, "a leader", s.IsLeader)
	h := httpapi.New(httpapi.Config{Server: realBackend{s}, Agent: &httpapitest.Agent{Healthy: true}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := nomadapi.NewClient(&nomadapi.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// TestACLWithNomadAPI drives the ACL routes with Nomad's own api package:
// everything it sends is understood and everything it reads decodes.
func TestACLWithNomadAPI(t *testing.T) {
	c, s := aclAgent(t)
	root, wm, err := c.ACLTokens().Bootstrap(nil)
	if err != nil {
		t.Fatalf("Bootstrap = %v", err)
	}
	if root.SecretID == "" || root.Type != "management" || root.AccessorID == "" || wm.LastIndex == 0 {
		t.Fatalf("bootstrap token = %+v (index %d)", root, wm.LastIndex)
	}
	_, _, err = c.ACLTokens().Bootstrap(nil)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "ACL bootstrap already done (reset index: ") {
		t.Errorf("second Bootstrap = %v, want 400 ACL bootstrap already done", err)
	}
	c.SetSecretID(root.SecretID)

	// Policies.
	pol := &nomadapi.ACLPolicy{Name: "readonly", Description: "read the default namespace", Rules: `namespace "default" { policy = "read" }`}
	if _, err := c.ACLPolicies().Upsert(pol, nil); err != nil {
		t.Fatalf("Upsert = %v", err)
	}
	bad := &nomadapi.ACLPolicy{Name: "bad", Rules: "namespace \"default\" {\n  policy = \"root\"\n}"}
	if _, err := c.ACLPolicies().Upsert(bad, nil); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "bad:2:") {
		t.Errorf("Upsert(bad rules) = %v, want 400 with bad:2:col", err)
	}
	stubs, _, err := c.ACLPolicies().List(nil)
	if err != nil || len(stubs) != 1 || stubs[0].Name != "readonly" || stubs[0].Description != pol.Description || stubs[0].CreateIndex == 0 {
		t.Fatalf("List = %+v, %v", stubs, err)
	}
	info, _, err := c.ACLPolicies().Info("readonly", nil)
	if err != nil || info.Rules != pol.Rules {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	if _, _, err := c.ACLPolicies().Info("nope", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Info(nope) = %v, want 404", err)
	}

	// Tokens.
	tok, _, err := c.ACLTokens().Create(&nomadapi.ACLToken{Name: "ci", Type: "client", Policies: []string{"readonly"}, ExpirationTTL: time.Hour}, nil)
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	if tok.SecretID == "" || tok.ExpirationTime == nil || tok.CreateTime.IsZero() || tok.Policies[0] != "readonly" {
		t.Fatalf("created token = %+v", tok)
	}
	if _, _, err := c.ACLTokens().Create(&nomadapi.ACLToken{Type: "client", Policies: []string{"missing"}}, nil); err == nil || !strings.Contains(err.Error(), `Policies[0]: policy "missing" does not exist`) {
		t.Errorf("Create(missing policy) = %v", err)
	}
	got, _, err := c.ACLTokens().Info(tok.AccessorID, nil)
	if err != nil || got.Name != "ci" || got.SecretID != "" || !got.ExpirationTime.Equal(*tok.ExpirationTime) {
		t.Fatalf("Info = %+v, %v; want the token without its secret", got, err)
	}
	got.Name = "ci-renamed"
	upd, _, err := c.ACLTokens().Update(got, nil)
	if err != nil || upd.Name != "ci-renamed" || upd.ModifyIndex <= tok.ModifyIndex {
		t.Fatalf("Update = %+v, %v", upd, err)
	}
	list, _, err := c.ACLTokens().List(nil)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v; want 2 tokens", list, err)
	}

	// Self, with each header form.
	self, _, err := c.ACLTokens().Self(&nomadapi.QueryOptions{AuthToken: tok.SecretID})
	if err != nil || self.AccessorID != tok.AccessorID || self.SecretID != "" {
		t.Fatalf("Self = %+v, %v", self, err)
	}
	req, _ := http.NewRequest("GET", c.Address()+"/v1/acl/token/self", nil)
	req.Header.Set("Authorization", "Bearer "+root.SecretID)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("token self with a Bearer token = %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if _, _, err := c.ACLTokens().Self(&nomadapi.QueryOptions{AuthToken: nomadlike.GenerateUUID()}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("Self(unknown secret) = %v, want 403", err)
	}

	// The resolver sees what the API wrote.
	if a, err := s.ResolveToken(tok.SecretID); err != nil || !a.AllowNamespace("default") {
		t.Errorf("ResolveToken(created) = %v, %v", a, err)
	}

	// Deletes.
	if _, err := c.ACLTokens().Delete(tok.AccessorID, nil); err != nil {
		t.Fatalf("Delete token = %v", err)
	}
	if _, _, err := c.ACLTokens().Info(tok.AccessorID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Info(deleted) = %v, want 404", err)
	}
	if _, err := c.ACLPolicies().Delete("readonly", nil); err != nil {
		t.Fatalf("Delete policy = %v", err)
	}
	if _, err := c.ACLPolicies().Delete("readonly", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Delete(deleted policy) = %v, want 404", err)
	}
}

// TestACLPolicyPathMismatch: a body naming another policy than the path
// is refused.
func TestACLPolicyPathMismatch(t *testing.T) {
	c, _ := aclAgent(t)
	req, _ := http.NewRequest("POST", c.Address()+"/v1/acl/policy/a", strings.NewReader(`{"Name":"b","Rules":""}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /v1/acl/policy/a with Name b = %d, want 400", resp.StatusCode)
	}
}

// TestACLRoutesWithoutStore: a backend without an ACL store answers 501.
func TestACLRoutesWithoutStore(t *testing.T) {
	h := httpapi.New(httpapi.Config{Server: httpapitest.NewServer(), Agent: &httpapitest.Agent{Healthy: true}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/acl/tokens", nil))
	if rec.Code != http.StatusNotImplemented {
		t.Errorf("GET /v1/acl/tokens on a fake backend = %d, want 501", rec.Code)
	}
}
