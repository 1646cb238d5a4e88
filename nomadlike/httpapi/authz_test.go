package httpapi_test

import (
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// fakeResolver maps secrets to compiled policies: "" is anonymous (no
// rights), "mgmt" the management token, "cap:NAME" a token with only
// namespace capability NAME in "default", and the names in policies.
type fakeResolver struct {
	t     testing.TB
	mu    sync.Mutex
	cache map[string]*acl.ACL
}

// testPolicies are the fake's named tokens.
var testPolicies = map[string]string{
	"default-all": `namespace "default" { policy = "write" }`,
	// variables (vars.go): every variables capability on path "x" only
	"vars-x":         "namespace \"default\" {\n variables {\n path \"x\" {\n capabilities = [\"read\", \"write\", \"list\", \"destroy\"]\n }\n }\n}",
	"other-all":      `namespace "other" { policy = "write" }` + "\nnode { policy = \"write\" }\nagent { policy = \"write\" }\noperator { policy = \"write\" }",
	"other-only":     `namespace "other" { policy = "write" }`,
	"prod-read":      `namespace "prod" { policy = "read" }`,
	"node-read":      `node { policy = "read" }`,
	"node-write":     `node { policy = "write" }`,
	"agent-read":     `agent { policy = "read" }`,
	"agent-write":    `agent { policy = "write" }`,
	"operator-read":  `operator { policy = "read" }`,
	"operator-write": `operator { policy = "write" }`,
}

func newFakeResolver(t testing.TB) *fakeResolver {
	return &fakeResolver{t: t, cache: map[string]*acl.ACL{}}
}

func (f *fakeResolver) ResolveToken(secret string) (*acl.ACL, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.cache[secret]; ok {
		return a, nil
	}
	var src string
	switch {
	case secret == "mgmt":
		return acl.ManagementACL(), nil
	case secret == "":
		src = ""
	case strings.HasPrefix(secret, "workload:"): // a workload identity of a job in "default"
		return acl.WorkloadACL(acl.Workload{Namespace: "default", JobID: strings.TrimPrefix(secret, "workload:"), Group: "g", Task: "t", AllocID: "a"})
	case strings.HasPrefix(secret, "cap:"):
		src = fmt.Sprintf(`namespace "default" { capabilities = [%q] }`, strings.TrimPrefix(secret, "cap:"))
	default:
		var ok bool
		if src, ok = testPolicies[secret]; !ok {
			return nil, fmt.Errorf("secret: %w", nomadlike.ErrTokenNotFound)
		}
	}
	var pols []*acl.Policy
	if src != "" {
		p, err := acl.Parse(secret, []byte(src))
		if err != nil {
			f.t.Fatalf("policy %s: %v", secret, err)
		}
		pols = append(pols, p)
	}
	a, err := acl.Compile(pols...)
	if err != nil {
		f.t.Fatalf("compile %s: %v", secret, err)
	}
	f.cache[secret] = a
	return a, nil
}

// aclFixture is a handler with ACLs on over a fake server holding one job,
// node, evaluation and allocation in "default" (and a job and allocation
// in "prod").
type aclFixture struct {
	ta                 *testAPI
	node               *nomadlike.Node
	job, prodJob       *nomadlike.Job
	eval               *nomadlike.Evaluation
	alloc, prodAlloc   *nomadlike.Allocation
	otherNode          *nomadlike.Node
	clusterKey, keyTok string
}

func newACLFixture(t *testing.T) *aclFixture {
	t.Helper()
	fx := &aclFixture{node: fixture.Node(), otherNode: fixture.Node(), job: fixture.Job()}
	fx.prodJob = fixture.Job()
	fx.prodJob.Namespace = "prod"
	fx.eval = fixture.Eval(fx.job)
	fx.alloc = fixture.Alloc(fx.job, fx.node, 0)
	fx.prodAlloc = fixture.Alloc(fx.prodJob, fx.otherNode, 0)
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	fx.keyTok = base64.StdEncoding.EncodeToString(key)
	fake := httpapitest.NewServer()
	if _, err := fake.Apply(func(st *state.StateStore, index uint64) error {
		if err := st.UpsertNamespaces(index, []*nomadlike.Namespace{{Name: "prod"}}); err != nil {
			return err
		}
		for _, n := range []*nomadlike.Node{fx.node, fx.otherNode} {
			if err := st.UpsertNode(index, n); err != nil {
				return err
			}
		}
		for _, j := range []*nomadlike.Job{fx.job, fx.prodJob} {
			if err := st.UpsertJob(index, j); err != nil {
				return err
			}
		}
		if err := st.UpsertEvals(index, []*nomadlike.Evaluation{fx.eval}); err != nil {
			return err
		}
		return st.UpsertAllocs(index, []*nomadlike.Allocation{fx.alloc, fx.prodAlloc})
	}); err != nil {
		t.Fatal(err)
	}
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	fx.ta = newTestAPI(t, fake, func(c *httpapi.Config) {
		c.ACL = newFakeResolver(t)
		c.ClusterKey = key
		c.Client = local
		c.NodeID = func() string { return fx.node.ID }
	})
	return fx
}

// probe is one concrete request of a route and the tokens it is checked
// with.
type probe struct {
	method, path string
	right        string // a token that grants just what the route needs
	wrong        []string
}

// probes turns a registered route into concrete requests.
func (fx *aclFixture) probes(t *testing.T, ri httpapi.RouteInfo) []probe {
	kind, capability, orNodeRead := httpapi.NeedOf(ri)
	path := ri.Pattern
	switch {
	case strings.HasPrefix(path, "/v1/job/"):
		path = strings.Replace(path, "{id}", fx.job.ID, 1)
	case strings.HasPrefix(path, "/v1/allocation/"):
		path = strings.Replace(path, "{id}", fx.alloc.ID, 1)
	case strings.HasPrefix(path, "/v1/evaluation/"):
		path = strings.Replace(path, "{id}", fx.eval.ID, 1)
	case path == "/v1/namespace/{name}" && ri.Method == http.MethodGet:
		// Readable with any right in the namespace: "default-all" has
		// rights in default only.
		path = "/v1/namespace/default"
	default:
		path = strings.Replace(path, "{id}", fx.node.ID, 1)
	}
	// Wildcards of routes added later ({name}, {path...}): any value.
	path = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x")
	p := probe{method: ri.Method, path: path}
	if strings.HasPrefix(ri.Pattern, "/v1/var/") {
		// variables (vars.go): the handler checks the path's capabilities
		p.right, p.wrong = "vars-x", []string{"default-all", "other-all"}
		return []probe{p}
	}
	switch kind {
	case "namespace":
		p.right, p.wrong = "cap:"+capability, []string{"other-all"}
	case "node:read", "agent:read", "operator:read":
		p.right, p.wrong = strings.Replace(kind, ":", "-", 1), []string{"default-all"}
	case "node:write", "agent:write", "operator:write":
		p.right = strings.Replace(kind, ":", "-", 1)
		p.wrong = []string{"default-all", strings.Replace(p.right, "write", "read", 1)}
	case "management":
		p.right, p.wrong = "mgmt", []string{"default-all", "other-all"}
	case "token", "resolved":
		p.right = "default-all"
	case "node-secret":
		p.right, p.wrong = fx.node.SecretID, []string{"mgmt"}
		if strings.Contains(ri.Pattern, "{id}") {
			p.wrong = append(p.wrong, fx.otherNode.SecretID) // the node named in the path
		}
		if orNodeRead {
			p.wrong = []string{"default-all", "other-only"}
		}
	case "search":
		p.right, p.wrong = "node-read", []string{"other-only"}
	case "client":
		return fx.clientProbes(t)
	default:
		t.Fatalf("%s %s: no probe for requirement kind %q", ri.Method, ri.Pattern, kind)
	}
	return []probe{p}
}

// clientProbes are the /v1/client/ catch-all's concrete paths.
func (fx *aclFixture) clientProbes(t *testing.T) []probe {
	var out []probe
	for _, mp := range []string{
		"GET /v1/client/fs/logs/" + fx.alloc.ID, "GET /v1/client/fs/cat/" + fx.alloc.ID,
		"GET /v1/client/fs/ls/" + fx.alloc.ID, "GET /v1/client/fs/stat/" + fx.alloc.ID,
		"GET /v1/client/fs/readat/" + fx.alloc.ID, "GET /v1/client/fs/stream/" + fx.alloc.ID,
		"GET /v1/client/allocation/" + fx.alloc.ID + "/stats", "PUT /v1/client/allocation/" + fx.alloc.ID + "/exec",
		"PUT /v1/client/allocation/" + fx.alloc.ID + "/signal", "POST /v1/client/allocation/" + fx.alloc.ID + "/restart",
		"PUT /v1/client/allocation/" + fx.alloc.ID + "/stop", "GET /v1/client/stats", "GET /v1/client/allocations",
		"GET /v1/client/unknown",
		// Client GC and retained logs (issue #14).
		"PUT /v1/client/allocation/" + fx.alloc.ID + "/gc", "GET /v1/client/allocation/" + fx.alloc.ID + "/retained-logs",
		"PUT /v1/client/gc",
	} {
		m, path, _ := strings.Cut(mp, " ")
		capability, _, nodeWide := httpapi.ClientPathNeed(path)
		p := probe{method: m, path: path}
		switch {
		case path == "/v1/client/gc":
			p.right, p.wrong = "node-write", []string{"default-all", "node-read"}
		case nodeWide:
			p.right, p.wrong = "node-read", []string{"default-all"}
		case capability == acl.NamespaceCapabilityReadFS:
			// read-logs does not grant the file system.
			p.right, p.wrong = "cap:"+capability, []string{"other-all", "cap:" + acl.NamespaceCapabilityReadLogs}
		case capability != "":
			p.right, p.wrong = "cap:"+capability, []string{"other-all"}
		default:
			p.right, p.wrong = "mgmt", []string{"default-all", "other-all"}
		}
		out = append(out, p)
	}
	return out
}

// TestACLRouteMatrix walks every route the handler registered: without a
// token, or with one that grants the wrong thing, the answer is 403; with
// one that grants just what the route needs, it is not. A route added
// without a requirement panics in New; one with a requirement this test
// does not know fails here.
func TestACLRouteMatrix(t *testing.T) {
	fx := newACLFixture(t)
	h := httpapi.New(httpapi.Config{Server: httpapitest.NewServer()})
	body := map[string]any{"Job": map[string]any{"ID": fx.job.ID, "Namespace": "default"}}
	nodeCalls := map[string]bool{}
	for _, ri := range h.Routes() {
		kind, _, _ := httpapi.NeedOf(ri)
		switch kind {
		case "public":
			continue
		case "node-call":
			nodeCalls[ri.Pattern] = true // checked by the backend: TestNodeCallsAuthenticated
			continue
		}
		for _, p := range fx.probes(t, ri) {
			t.Run(p.method+" "+p.path, func(t *testing.T) {
				send := func(tok string) (int, string) {
					var hdr []string
					if tok != "" {
						hdr = []string{"X-Nomad-Token", tok}
					}
					return fx.ta.send(t, p.method, p.path, body, hdr...)
				}
				if code, msg := send(""); code != http.StatusForbidden && kind != "resolved" {
					t.Errorf("anonymous: %d %q, want 403", code, msg)
				}
				if code, msg := send(fx.keyTok); code != http.StatusForbidden {
					t.Errorf("cluster key as token: %d %q, want 403", code, msg)
				}
				for _, w := range p.wrong {
					if code, msg := send(w); code != http.StatusForbidden {
						t.Errorf("token %q (needs %s): %d %q, want 403", w, ri.Need, code, msg)
					}
				}
				if code, msg := send(p.right); code == http.StatusForbidden {
					t.Errorf("token %q (needs %s): 403 %q, want it allowed", p.right, ri.Need, msg)
				}
			})
		}
	}
	want := map[string]bool{"/v1/client/register": true, "/v1/client/heartbeat/{id}": true, "/v1/client/allocations/update": true,
		"/v1/client/services/upsert": true, "/v1/client/services/deregister": true,
		"/v1/client/usage":              true, // service catalog (services.go), autoscaler usage samples (client_usage.go)
		"/v1/client/host-volume/update": true} // dynamic host volumes (host_volumes.go)
	if fmt.Sprint(nodeCalls) != fmt.Sprint(want) {
		t.Errorf("node-call routes (not user-token routes) = %v, want exactly %v", nodeCalls, want)
	}
}

// TestACLPublicRoutes: only the routes Nomad leaves open are public (ACL
// bootstrap, added by the ACL store, is allowed to be).
func TestACLPublicRoutes(t *testing.T) {
	h := httpapi.New(httpapi.Config{Server: httpapitest.NewServer()})
	allowed := map[string]bool{"GET /v1/agent/health": true, "GET /v1/status/leader": true, "GET /v1/status/peers": true,
		"PUT /v1/acl/bootstrap": true, "POST /v1/acl/bootstrap": true,
		"GET /v1/regions":            true, // regions: open in Nomad too
		"GET /.well-known/jwks.json": true} // workload identity public keys: open in Nomad too
	got := map[string]bool{}
	for _, ri := range h.Routes() {
		if ri.Public {
			got[ri.Method+" "+ri.Pattern] = true
			if !allowed[ri.Method+" "+ri.Pattern] {
				t.Errorf("%s %s is public; only %v may be", ri.Method, ri.Pattern, allowed)
			}
		}
	}
	for _, r := range []string{"GET /v1/agent/health", "GET /v1/status/leader", "GET /v1/status/peers"} {
		if !got[r] {
			t.Errorf("%s is not public; Nomad leaves it open", r)
		}
	}
}

// TestRoutesOnlyThroughRoute: nothing in the package adds to the mux but
// Handler.route, so the registry is the whole router.
func TestRoutesOnlyThroughRoute(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == "authz.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if src := string(b); strings.Contains(src, "mux.Handle(") || strings.Contains(src, "mux.HandleFunc(") {
			t.Errorf("%s registers a route on the mux directly; use h.route (get, write, del) with a requirement", f)
		}
	}
}

// TestACLObjectNamespace: an allocation is checked in its own namespace,
// not the one the request names.
func TestACLObjectNamespace(t *testing.T) {
	fx := newACLFixture(t)
	cases := []struct {
		name, tok, path string
		want            int
	}{
		{"default token, prod alloc", "cap:read-job", "/v1/allocation/" + fx.prodAlloc.ID, http.StatusForbidden},
		{"default token, prod alloc, ?namespace=default", "cap:read-job", "/v1/allocation/" + fx.prodAlloc.ID + "?namespace=default", http.StatusForbidden},
		{"prod token, prod alloc", "prod-read", "/v1/allocation/" + fx.prodAlloc.ID, http.StatusOK},
		{"prod token, default alloc", "prod-read", "/v1/allocation/" + fx.alloc.ID + "?namespace=prod", http.StatusForbidden},
		{"default token, unknown alloc", "cap:read-job", "/v1/allocation/" + nomadlike.GenerateUUID(), http.StatusNotFound},
		{"no token, unknown alloc", "", "/v1/allocation/" + nomadlike.GenerateUUID(), http.StatusForbidden},
		{"unknown token", nomadlike.GenerateUUID(), "/v1/allocation/" + fx.alloc.ID, http.StatusForbidden},
		{"logs of a prod alloc, default token", "cap:read-logs", "/v1/client/fs/logs/" + fx.prodAlloc.ID, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.tok != "" {
				hdr = []string{"Authorization", "Bearer " + tc.tok}
			}
			if code, body := fx.ta.send(t, "GET", tc.path, nil, hdr...); code != tc.want {
				t.Errorf("GET %s = %d %q, want %d", tc.path, code, body, tc.want)
			}
		})
	}
}

// TestACLJobBodyNamespace: a register is checked in the namespace of the
// job it carries, whatever ?namespace= says.
func TestACLJobBodyNamespace(t *testing.T) {
	fx := newACLFixture(t)
	job := fixture.Job()
	job.Namespace = "prod"
	code, body := fx.ta.send(t, "PUT", "/v1/jobs?namespace=default", map[string]any{"Job": job}, "X-Nomad-Token", "cap:submit-job")
	if code != http.StatusForbidden {
		t.Fatalf("register a prod job with a default token = %d %q, want 403", code, body)
	}
	if got, _ := fx.ta.fake.State().JobByID(nil, "prod", job.ID); got != nil {
		t.Fatal("the refused job was registered")
	}
	job.Namespace = "default"
	if code, body := fx.ta.send(t, "PUT", "/v1/jobs", map[string]any{"Job": job}, "X-Nomad-Token", "cap:submit-job"); code != http.StatusOK {
		t.Fatalf("register a default job with submit-job in default = %d %q, want 200", code, body)
	}
}

// TestACLListsFiltered: with ?namespace=* a list shows only what the token
// may see.
func TestACLListsFiltered(t *testing.T) {
	fx := newACLFixture(t)
	cases := []struct {
		name, path, tok string
		has, hasNot     string
	}{
		{"jobs, prod token", "/v1/jobs?namespace=*", "prod-read", `"Namespace":"prod"`, `"Namespace":"default"`},
		{"jobs, default token", "/v1/jobs?namespace=*", "default-all", `"Namespace":"default"`, `"Namespace":"prod"`},
		{"allocations, prod token", "/v1/allocations?namespace=*", "prod-read", fx.prodAlloc.ID, fx.alloc.ID},
		{"allocations, default ns", "/v1/allocations", "default-all", fx.alloc.ID, fx.prodAlloc.ID},
		{"evaluations, prod token", "/v1/evaluations?namespace=*", "prod-read", "[", fx.eval.ID},
		{"search all, prod token", "/v1/search?namespace=*", "prod-read", fx.prodAlloc.ID, fx.alloc.ID},
		{"search, no node:read", "/v1/search?namespace=*", "prod-read", "allocs", fx.node.ID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, body := "GET", any(nil)
			if strings.HasPrefix(tc.path, "/v1/search") {
				method, body = "PUT", map[string]any{"Prefix": "", "Context": "all"}
			}
			code, out := fx.ta.send(t, method, tc.path, body, "X-Nomad-Token", tc.tok)
			if code != http.StatusOK || !strings.Contains(out, tc.has) || strings.Contains(out, tc.hasNot) {
				t.Errorf("%s %s = %d %q, want 200 with %q and without %q", method, tc.path, code, out, tc.has, tc.hasNot)
			}
		})
	}
}

// TestACLNodeRoutes: a client node reads its own allocations with its
// SecretID, not another node's, and a fetch returns only its own.
func TestACLNodeRoutes(t *testing.T) {
	fx := newACLFixture(t)
	path := "/v1/client/allocations/" + fx.node.ID
	if code, body := fx.ta.send(t, "GET", path, nil, "X-Nomad-Token", fx.otherNode.SecretID); code != http.StatusForbidden {
		t.Errorf("another node's secret = %d %q, want 403", code, body)
	}
	if code, body := fx.ta.send(t, "GET", path, nil, "X-Nomad-Token", fx.node.SecretID); code != http.StatusOK || !strings.Contains(body, fx.alloc.ID) {
		t.Errorf("the node's secret = %d %q, want 200 with its allocation", code, body)
	}
	ids := map[string]any{"AllocIDs": []string{fx.alloc.ID, fx.prodAlloc.ID}}
	code, body := fx.ta.send(t, "POST", "/v1/client/allocations/fetch", ids, "X-Nomad-Token", fx.node.SecretID)
	if code != http.StatusOK || !strings.Contains(body, fx.alloc.ID) || strings.Contains(body, fx.prodAlloc.ID) {
		t.Errorf("fetch = %d %q, want 200 with only the node's own allocation", code, body)
	}
}

// TestACLOperatorKeyNotAToken: with ACLs on, the cluster key no longer
// opens the operator endpoints; a management token does.
func TestACLOperatorKeyNotAToken(t *testing.T) {
	fx := newACLFixture(t)
	if code, body := fx.ta.send(t, "GET", "/v1/operator/snapshot", nil, "X-Nomad-Token", fx.keyTok); code != http.StatusForbidden {
		t.Errorf("snapshot with the cluster key = %d %q, want 403", code, body)
	}
	if code, body := fx.ta.send(t, "GET", "/v1/operator/snapshot", nil, "X-Nomad-Token", "operator-write"); code != http.StatusForbidden {
		t.Errorf("snapshot with operator:write = %d %q, want 403 (management only)", code, body)
	}
	if code, body := fx.ta.send(t, "GET", "/v1/operator/snapshot", nil, "X-Nomad-Token", "mgmt"); code != http.StatusOK {
		t.Errorf("snapshot with a management token = %d %.100q, want 200", code, body)
	}
}

var updateDocs = flag.Bool("update", false, "rewrite the generated tables in website/acl-enforcement.md")

// TestACLDocTable: the server route table of website/acl-enforcement.md is
// the router's (-update rewrites it).
func TestACLDocTable(t *testing.T) {
	h := httpapi.New(httpapi.Config{Server: httpapitest.NewServer()})
	var b strings.Builder
	b.WriteString("| method | path | ACL required |\n|---|---|---|\n")
	routes := h.Routes()
	for i := 0; i < len(routes); i++ {
		ri := routes[i]
		methods := ri.Method
		if methods == "" {
			methods = "any"
		}
		// PUT and POST of the same route are one row.
		for i+1 < len(routes) && ri.Method == "POST" && routes[i+1].Method == "PUT" && routes[i+1].Pattern == ri.Pattern && routes[i+1].Need == ri.Need {
			i++
			methods = routes[i].Method + ", " + methods
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", methods, ri.Pattern, ri.Need)
	}
	checkDocSection(t, filepath.Join("..", "..", "website", "acl-enforcement.md"), "server routes", b.String(), *updateDocs)
}

// checkDocSection compares (or with update rewrites) the text between the
// BEGIN and END markers named name.
func checkDocSection(t *testing.T, path, name, want string, update bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- BEGIN "+name+" -->\n", "<!-- END "+name+" -->"
	src := string(b)
	i, j := strings.Index(src, begin), strings.Index(src, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q markers", path, begin, end)
	}
	got := src[i+len(begin) : j]
	if got == want {
		return
	}
	if !update {
		t.Fatalf("%s: the %s table is out of date; run this test with -update. Want:\n%s", path, name, want)
	}
	if err := os.WriteFile(path, []byte(src[:i+len(begin)]+want+src[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestACLClientOnlyAgent: an agent without a server checks locally what it
// can (agent routes, namespace of ?namespace=) and forwards unchecked only
// the routes whose check needs the servers' state, which check them.
func TestACLClientOnlyAgent(t *testing.T) {
	var forwarded []string
	var mu sync.Mutex
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		forwarded = append(forwarded, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Nomad-Token"))
		mu.Unlock()
		fmt.Fprint(w, "{}")
	}))
	t.Cleanup(upstream.Close)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		Servers: []string{upstream.URL}, Agent: &httpapitest.Agent{Healthy: true}, ACL: newFakeResolver(t),
	}))
	t.Cleanup(srv.Close)
	cases := []struct {
		name, path, tok string
		want            int
		forward         bool
	}{
		{"agent self, anonymous", "/v1/agent/self", "", http.StatusForbidden, false},
		{"agent self, agent:read", "/v1/agent/self", "agent-read", http.StatusOK, false},
		{"jobs, anonymous", "/v1/jobs", "", http.StatusForbidden, false},
		{"jobs, list-jobs", "/v1/jobs", "cap:list-jobs", http.StatusOK, true},
		{"allocation, checked by the servers", "/v1/allocation/abcd", "prod-read", http.StatusOK, true},
		{"members, anonymous", "/v1/agent/members", "", http.StatusForbidden, false},
		{"members, node:read, asked of a server", "/v1/agent/members", "node-read", http.StatusOK, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			before := len(forwarded)
			mu.Unlock()
			var hdr []string
			if tc.tok != "" {
				hdr = []string{"X-Nomad-Token", tc.tok}
			}
			code, body := httpapitest.Do(testCtx(t), t, "GET", srv.URL+tc.path, nil, hdr...)
			mu.Lock()
			got := len(forwarded) > before
			last := ""
			if got {
				last = forwarded[len(forwarded)-1]
			}
			mu.Unlock()
			if code != tc.want || got != tc.forward {
				t.Fatalf("GET %s = %d %q, forwarded %v; want %d, forwarded %v", tc.path, code, body, got, tc.want, tc.forward)
			}
			if got && !strings.HasSuffix(last, " "+tc.tok) {
				t.Errorf("forwarded %q without the caller's token", last)
			}
		})
	}
}
