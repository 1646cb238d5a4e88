package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// cachingResolver costs what a resolver with a warm cache costs: a
// read-locked map lookup of the secret.
type cachingResolver struct {
	mu sync.RWMutex
	m  map[string]*acl.ACL
}

func (c *cachingResolver) ResolveToken(secret string) (*acl.ACL, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if a, ok := c.m[secret]; ok {
		return a, nil
	}
	return nil, nomadlike.ErrTokenNotFound
}

// BenchmarkJobListACL measures GET /v1/jobs?namespace=* over 100 jobs in
// two namespaces, in process (no sockets): ACLs off; on with a management
// token (same answer as off: the cost of the check); on with a token that
// may list one namespace (half the jobs filtered out).
func BenchmarkJobListACL(b *testing.B) {
	fake := httpapitest.NewServer()
	if _, err := fake.Apply(func(st *state.StateStore, index uint64) error {
		for i := range 100 {
			j := fixture.Job()
			if i%2 == 1 {
				j.Namespace = "prod"
			}
			if err := st.UpsertJob(index, j); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	pol, err := acl.Parse("prod", []byte(`namespace "prod" { policy = "read" }`))
	if err != nil {
		b.Fatal(err)
	}
	a, err := acl.Compile(pol)
	if err != nil {
		b.Fatal(err)
	}
	res := &cachingResolver{m: map[string]*acl.ACL{"prod": a, "mgmt": acl.ManagementACL()}}
	for _, tc := range []struct {
		name, token string
		acl         httpapi.ACLResolver
	}{{"off", "", nil}, {"on-management", "mgmt", res}, {"on-filtered", "prod", res}} {
		b.Run(tc.name, func(b *testing.B) {
			h := httpapi.New(httpapi.Config{Server: fake, ACL: tc.acl})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, "/v1/jobs?namespace=*", nil)
					req.Header.Set("X-Nomad-Token", tc.token)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET /v1/jobs = %d %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}
