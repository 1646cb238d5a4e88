package aclcache_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/aclcache"
)

// fakeSource serves tokens and policies from maps and counts requests.
type fakeSource struct {
	mu       sync.Mutex
	tokens   map[string]*aclcache.Token
	policies map[string]string
	down     bool
	calls    int
}

var errDown = errors.New("connection refused")

func (f *fakeSource) TokenSelf(_ context.Context, secret string) (*aclcache.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, errDown
	}
	t, ok := f.tokens[secret]
	if !ok {
		return nil, nomadlike.ErrTokenNotFound
	}
	return t, nil
}

func (f *fakeSource) Policy(_ context.Context, name, _ string) (*aclcache.Policy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, errDown
	}
	rules, ok := f.policies[name]
	if !ok {
		return nil, nomadlike.ErrNotFound
	}
	return &aclcache.Policy{Name: name, Rules: rules}, nil
}

func (f *fakeSource) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *fakeSource) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newCache() (*aclcache.Cache, *fakeSource, *clock) {
	src := &fakeSource{
		tokens: map[string]*aclcache.Token{
			"mgmt": {AccessorID: "a1", Type: "management"},
			"dev":  {AccessorID: "a2", Type: "client", Policies: []string{"dev", "missing"}},
		},
		policies: map[string]string{"dev": `namespace "dev" { policy = "write" }`},
	}
	clk := &clock{t: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	c := aclcache.New(aclcache.Config{Source: src, TokenTTL: 30 * time.Second, PolicyTTL: 30 * time.Second, Now: clk.now})
	return c, src, clk
}

func TestResolve(t *testing.T) {
	c, _, _ := newCache()
	cases := []struct {
		name, secret string
		check        func(*acl.ACL) bool
		wantErr      error
	}{
		{"management", "mgmt", (*acl.ACL).IsManagement, nil},
		{"client token", "dev", func(a *acl.ACL) bool {
			return a.AllowNamespaceOperation("dev", acl.NamespaceCapabilitySubmitJob) && !a.AllowNamespaceOperation("default", acl.NamespaceCapabilityReadJob)
		}, nil},
		{"anonymous without an anonymous policy", "", func(a *acl.ACL) bool {
			return !a.AllowNamespaceOperation("default", acl.NamespaceCapabilityListJobs) && !a.AllowNodeRead()
		}, nil},
		{"unknown", "nope", nil, nomadlike.ErrTokenNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := c.ResolveToken(tc.secret)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ResolveToken(%q) = %v, want %v", tc.secret, err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(a) {
				t.Fatalf("ResolveToken(%q) = %v, %v; rights not as expected", tc.secret, a, err)
			}
		})
	}
}

// TestCacheTTL: a resolved token is not read again within token_ttl, is
// read again after it, and a policy change shows after policy_ttl.
func TestCacheTTL(t *testing.T) {
	c, src, clk := newCache()
	if _, err := c.ResolveToken("dev"); err != nil {
		t.Fatal(err)
	}
	n := src.count()
	clk.t = clk.t.Add(10 * time.Second)
	if _, err := c.ResolveToken("dev"); err != nil || src.count() != n {
		t.Fatalf("second resolve within the TTL made %d requests (err %v), want 0", src.count()-n, err)
	}
	src.set(func() { src.policies["dev"] = `namespace "dev" { policy = "read" }` })
	clk.t = clk.t.Add(31 * time.Second)
	a, err := c.ResolveToken("dev")
	if err != nil || a.AllowNamespaceOperation("dev", acl.NamespaceCapabilitySubmitJob) {
		t.Fatalf("after the TTL the policy change does not show: %v", err)
	}
	src.set(func() { delete(src.tokens, "dev") })
	clk.t = clk.t.Add(31 * time.Second)
	if _, err := c.ResolveToken("dev"); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Fatalf("deleted token after the TTL = %v, want ErrTokenNotFound", err)
	}
}

// TestServersDown: a known token keeps its last rights while the servers
// cannot be reached; an unknown one is an error that is not a 403.
func TestServersDown(t *testing.T) {
	c, src, clk := newCache()
	if _, err := c.ResolveToken("dev"); err != nil {
		t.Fatal(err)
	}
	src.set(func() { src.down = true })
	clk.t = clk.t.Add(time.Hour)
	if a, err := c.ResolveToken("dev"); err != nil || !a.AllowNamespaceOperation("dev", acl.NamespaceCapabilityReadLogs) {
		t.Fatalf("known token with servers down = %v; want its last rights", err)
	}
	if _, err := c.ResolveToken("other"); err == nil || errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Fatalf("unknown token with servers down = %v; want a server error", err)
	}
}

func TestExpiredToken(t *testing.T) {
	c, src, clk := newCache()
	past := clk.t.Add(-time.Minute)
	src.set(func() {
		src.tokens["old"] = &aclcache.Token{AccessorID: "a3", Type: "management", ExpirationTime: &past}
	})
	if _, err := c.ResolveToken("old"); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Fatalf("expired token = %v, want ErrTokenNotFound", err)
	}
}

func TestAnonymousPolicy(t *testing.T) {
	c, src, _ := newCache()
	src.set(func() { src.policies[aclcache.AnonymousPolicy] = `namespace "default" { policy = "read" }` })
	a, err := c.ResolveToken("")
	if err != nil || !a.AllowNamespaceOperation("default", acl.NamespaceCapabilityReadJob) {
		t.Fatalf("anonymous with an anonymous policy = %v; want its rights", err)
	}
}

// TestAPISource: the HTTP source sends the secret as the token and maps
// a 403 to an unknown token.
func TestAPISource(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("X-Nomad-Token") != "good":
			http.Error(w, "ACL token not found", http.StatusForbidden)
		case r.URL.Path == "/v1/acl/token/self":
			fmt.Fprint(w, `{"AccessorID":"a","Type":"client","Policies":["p"]}`)
		case r.URL.Path == "/v1/acl/policy/p":
			fmt.Fprint(w, `{"Name":"p","Rules":"node { policy = \"read\" }"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	cl, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c := aclcache.New(aclcache.Config{Source: aclcache.APISource{Servers: cl}})
	if a, err := c.ResolveToken("good"); err != nil || !a.AllowNodeRead() {
		t.Fatalf("good token = %v; want node:read", err)
	}
	if _, err := c.ResolveToken("bad"); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Fatalf("bad token = %v, want ErrTokenNotFound", err)
	}
}
