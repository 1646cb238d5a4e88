package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client"
	"github.com/nomadlike/nomadlike/nomadlike/client/aclcache"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// The end-to-end ACL route matrix (issue #11): real agents over real HTTP
// with the real ACL store. Every route the agents' routers registered
// (Handler.Routes(), the client's route table client.Routes(), the
// profiler's debugRoutes) is sent anonymously, with tokens that grant the
// wrong thing (another namespace, a read token for a write route, a user
// token for a node's route), and with a real token that grants just what
// the route needs. Anything a wrong token reaches fails the test, and so
// does a route whose requirement the test does not know. Floors that do
// not depend on the registered requirement (withFloors: by method and
// path) catch a route registered with a too weak one: a token without
// rights in "default" opens only three listed routes, a read-only token
// opens no write, node, agent and operator rights never open a namespaced
// object.

// matrixDummyID names an object that does not exist: a sufficient token's
// state-changing requests target it (or carry a malformed body) so that
// they fail after authorization (400, 404) and leave the cluster as it is.
const matrixDummyID = "00000000-0000-4000-8000-00000000beef"

// matrixBadBody is the malformed body of a sufficient token's writes.
const matrixBadBody = `{"matrix": `

// matrixPolicies are the real policies the matrix's tokens carry (one per
// capability class; "ns-CAP" tokens are made for each namespace
// capability a route needs).
var matrixPolicies = map[string]string{
	"default-all": `namespace "default" { policy = "write" }`,
	// vars-all holds every variables right in default (a namespace policy
	// grants none: variables { } rules do).
	"vars-all": `namespace "default" {
  variables {
    path "*" { capabilities = ["read", "write", "list", "destroy"] }
  }
}`,
	"other-only":     `namespace "other" { policy = "write" }`,
	"other-all":      `namespace "other" { policy = "write" }` + "\nnode { policy = \"write\" }\nagent { policy = \"write\" }\noperator { policy = \"write\" }",
	"node-read":      `node { policy = "read" }`,
	"node-write":     `node { policy = "write" }`,
	"agent-read":     `agent { policy = "read" }`,
	"agent-write":    `agent { policy = "write" }`,
	"operator-read":  `operator { policy = "read" }`,
	"operator-write": `operator { policy = "write" }`,
	// reader-all reads everything a read policy reads, everywhere.
	"reader-all": `namespace "*" { policy = "read" }` + "\nnode { policy = \"read\" }\nagent { policy = \"read\" }\noperator { policy = \"read\" }",
}

// aclMatrix is the cluster under test and its real tokens.
type aclMatrix struct {
	t       *testing.T
	ctx     context.Context
	mc      *api.Client // management token
	root    *nomadlike.ACLToken
	secrets map[string]string // token name -> SecretID ("mgmt" is root)
	node    *nomadlike.Node   // the server agent's client node
	jobID   string
	evalID  string
	allocs  map[*Agent]string // an allocation running on each agent's client
}

// probe is one concrete request of a route and the tokens it is checked
// with. Anonymous and wrong tokens use path and body (real objects); the
// sufficient token uses okPath and okBody.
type probe struct {
	method, path, body string
	okPath, okBody     string
	right              string   // a token name that grants what the route needs
	wrong              []string // token names that must get 403
	anonAllowed        bool     // the handler decides (filters) for anonymous
	objectNS           bool     // checked in the object's namespace: also try ?namespace=other
	need               string
	pattern            string // the registered pattern (floors)
}

// TestACLRouteMatrixRealAgents builds the matrix against a server+client
// agent and a client-only agent (which resolves tokens through the
// servers, client/aclcache) with acl.enabled.
func TestACLRouteMatrixRealAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two agents with driver plugin processes and runs tasks")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, c := matrixAgent(t, "srv", func(cfg *Config) {})
	waitLeader(ctx, t, c)
	b, _ := matrixAgent(t, "cli", func(cfg *Config) {
		cfg.Server.Enabled = false
		cfg.Client.Servers = []string{a.HTTPAddr()}
	})
	if _, ok := b.acl.(*aclcache.Cache); !ok {
		t.Fatalf("the client-only agent resolves tokens with %T, want the servers-backed client/aclcache", b.acl)
	}
	m := newACLMatrix(ctx, t, c, a, b)
	var last []lastProbe
	for _, ag := range []struct {
		name string
		a    *Agent
	}{{"server+client", a}, {"client-only", b}} {
		var probes []probe
		for _, ri := range ag.a.api.Routes() {
			probes = append(probes, m.routeProbes(ag.a, ri.Method, ri.Pattern, ri.Need)...)
		}
		for _, rt := range debugRoutes {
			probes = append(probes, m.debugProbe(rt.pattern))
		}
		for _, p := range probes { // every token exists before the requests
			m.secret(p.right)
			for _, w := range p.wrong {
				m.secret(w)
			}
		}
		// A sufficient token on /v1/system/* really collects garbage
		// (a forced GC ignores thresholds), which would delete the
		// finished evaluation the other probes name: those run last.
		var now []probe
		for _, p := range probes {
			if strings.HasPrefix(p.pattern, "/v1/system/") {
				last = append(last, lastProbe{ag.a, p})
			} else {
				now = append(now, p)
			}
		}
		t.Run(ag.name, func(t *testing.T) {
			for _, p := range now {
				m.run(t, ag.a, p)
			}
			t.Logf("%d route probes (anonymous, wrong tokens, sufficient token each)", len(now))
		})
	}
	t.Run("system", func(t *testing.T) {
		for _, lp := range last {
			m.run(t, lp.a, lp.p)
		}
		t.Logf("%d route probes of /v1/system/", len(last))
	})
}

// lastProbe is a probe run after all the others, on agent a.
type lastProbe struct {
	a *Agent
	p probe
}

// matrixAgent starts a dev agent (raw_exec on) with acl.enabled.
func matrixAgent(t *testing.T, name string, mutate func(*Config)) (*Agent, *api.Client) {
	t.Helper()
	cfg := DevConfig()
	cfg.Name = "matrix-" + name
	cfg.Ports.HTTP, cfg.Ports.RPC = 0, 0
	cfg.ACL.Enabled = true
	mutate(cfg)
	ag, err := New(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}}))
	if err != nil {
		t.Fatalf("New %s: %v", name, err)
	}
	t.Cleanup(func() { ag.Shutdown() })
	c, err := api.NewClient(api.Config{Address: ag.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return ag, c
}

// newACLMatrix bootstraps the ACL store, writes the policies, makes the
// tokens and the namespace "other", and runs one job on each agent's
// client so that real job, evaluation, allocation and node IDs exist.
func newACLMatrix(ctx context.Context, t *testing.T, c *api.Client, a, b *Agent) *aclMatrix {
	t.Helper()
	root, _, err := c.ACLTokens().Bootstrap(ctx, "", nil)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	mc, err := api.NewClient(api.Config{Address: a.HTTPAddr(), Token: root.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	m := &aclMatrix{t: t, ctx: ctx, mc: mc, root: root, secrets: map[string]string{"mgmt": root.SecretID}, allocs: map[*Agent]string{}}
	if _, err := mc.Namespaces().Register(ctx, &nomadlike.Namespace{Name: "other", Description: "the wrong namespace"}, nil); err != nil {
		t.Fatalf("create namespace other: %v", err)
	}
	names := make([]string, 0, len(matrixPolicies))
	for name := range matrixPolicies {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m.token(name)
	}
	for _, ag := range []*Agent{a, b} {
		m.runJob(ag)
	}
	n, err := a.server.State().NodeByID(nil, a.client.NodeID())
	if err != nil || n == nil {
		t.Fatalf("node %s: %v", a.client.NodeID(), err)
	}
	m.node = n.Copy()
	return m
}

// token returns the SecretID of the token named name, writing its policy
// ("ns-CAP": capability CAP in "default") and creating it the first time.
func (m *aclMatrix) token(name string) string {
	if s, ok := m.secrets[name]; ok {
		return s
	}
	rules, ok := matrixPolicies[name]
	if capability, isNS := strings.CutPrefix(name, "ns-"); isNS {
		rules, ok = fmt.Sprintf(`namespace "default" { capabilities = [%q] }`, capability), true
	}
	if !ok {
		m.t.Fatalf("no policy for token %q", name)
	}
	if _, err := m.mc.ACLPolicies().Upsert(m.ctx, &nomadlike.ACLPolicy{Name: name, Rules: rules}, nil); err != nil {
		m.t.Fatalf("policy %s: %v", name, err)
	}
	tok, _, err := m.mc.ACLTokens().Create(m.ctx, &nomadlike.ACLToken{Name: name, Type: "client", Policies: []string{name}}, nil)
	if err != nil {
		m.t.Fatalf("token %s: %v", name, err)
	}
	m.secrets[name] = tok.SecretID
	return tok.SecretID
}

// runJob runs a raw_exec service job pinned to ag's client node and waits
// for its allocation to run there.
func (m *aclMatrix) runJob(ag *Agent) {
	m.t.Helper()
	nodeID := ag.client.NodeID()
	job := fixture.Job()
	tg := job.TaskGroups[0]
	tg.Count, tg.Networks = 1, nil
	tg.Tasks[0].Driver = "raw_exec"
	tg.Tasks[0].Config = map[string]any{"command": "/bin/sleep", "args": []any{"300"}}
	tg.Tasks[0].Resources = &nomadlike.Resources{CPU: 50, MemoryMB: 32}
	job.Constraints = []*nomadlike.Constraint{{LTarget: "${node.unique.id}", Operand: "=", RTarget: nodeID}}
	reg, _, err := m.mc.Jobs().Register(m.ctx, job, nil)
	if err != nil {
		m.t.Fatalf("register job: %v", err)
	}
	if m.jobID == "" {
		m.jobID, m.evalID = job.ID, reg.EvalID
	}
	poll.Until(m.t, 30*time.Second, "the job's allocations", func() (bool, string) {
		stubs, _, err := m.mc.Jobs().Allocations(m.ctx, job.ID, false, nil)
		if err != nil {
			return false, err.Error()
		}
		for _, s := range stubs {
			if s.NodeID == nodeID && s.ClientStatus == nomadlike.AllocClientStatusRunning {
				m.allocs[ag] = s.ID
				return true, ""
			}
		}
		return false, fmt.Sprintf("job %s: no running allocation on node %s yet: %+v", job.ID, nodeID, stubs)
	})
}

// needClass turns a route's documented requirement (RouteInfo.Need) into
// the probe's tokens; an unknown requirement fails the test.
func (m *aclMatrix) needClass(p *probe) {
	need := p.need
	switch {
	case strings.HasPrefix(need, "namespace:"):
		capability := strings.FieldsFunc(strings.TrimPrefix(need, "namespace:"), func(r rune) bool { return r == ' ' || r == ',' })[0]
		p.right, p.wrong = "ns-"+capability, []string{"other-all"}
		p.objectNS = strings.Contains(need, "'s namespace)")
	case need == "node:read" || need == "agent:read" || need == "operator:read":
		p.right, p.wrong = strings.Replace(need, ":", "-", 1), []string{"default-all", "other-only"}
	case need == "node:write" || need == "agent:write" || need == "operator:write":
		p.right = strings.Replace(need, ":", "-", 1)
		p.wrong = []string{"default-all", strings.Replace(p.right, "write", "read", 1)}
	case need == "management":
		p.right, p.wrong = "mgmt", []string{"default-all", "other-all"}
	case need == "any token (not anonymous)":
		p.right = "default-all"
	case strings.HasPrefix(need, "any token, anonymous included") && strings.HasPrefix(p.pattern, "/v1/var"):
		p.right, p.anonAllowed = "vars-all", true // variables rules, checked by the handler
	case strings.HasPrefix(need, "any token, anonymous included"):
		p.right, p.anonAllowed = "default-all", true
	case need == "node SecretID":
		p.right, p.wrong = "node", []string{"mgmt", "other-all"}
	case strings.HasPrefix(need, "node SecretID, or node:read"):
		p.right, p.wrong = "node-read", []string{"default-all", "other-only"}
	case need == "node:read or namespace:read-job, filtered":
		p.right, p.wrong = "node-read", []string{"other-only"}
	default:
		m.t.Fatalf("%s %s: requirement %q has no probe in the matrix; teach needClass about it", p.method, p.path, need)
	}
}

// routeProbes turns a registered route of ag's API into concrete requests.
func (m *aclMatrix) routeProbes(ag *Agent, method, pattern, need string) []probe {
	switch {
	case need == "none":
		return nil // public (TestACLPublicRoutes keeps the list short)
	case need == "by path, see the client agent table":
		return m.clientProbes(ag)
	case strings.HasPrefix(need, "node SecretID (checked by the server)"):
		return []probe{m.nodeCallProbe(method, pattern)}
	}
	methods := []string{method}
	if method == "" {
		methods = []string{http.MethodGet, http.MethodPut}
	}
	var out []probe
	for _, mt := range methods {
		p := probe{method: mt, need: need, pattern: pattern,
			path:   m.fill(pattern, false),
			okPath: m.fill(pattern, mt != http.MethodGet),
			body:   fmt.Sprintf(`{"Job":{"ID":%q,"Namespace":"default"}}`, m.jobID),
		}
		if mt != http.MethodGet {
			p.okBody = matrixBadBody
		}
		m.needClass(&p)
		out = append(out, withFloors(p))
	}
	return out
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// fill puts real IDs into pattern's wildcards, or with dummy (a
// sufficient token's write) IDs of objects that do not exist.
func (m *aclMatrix) fill(pattern string, dummy bool) string {
	id := matrixDummyID
	switch {
	case strings.HasPrefix(pattern, "/v1/client/heartbeat/"), strings.HasPrefix(pattern, "/v1/client/allocations/"),
		strings.HasPrefix(pattern, "/v1/client/host-volumes/"): // dynamic host volumes
		id = m.node.ID // a node's own routes: its ID goes with its secret
	case dummy:
	case strings.HasPrefix(pattern, "/v1/job/"):
		id = m.jobID
	case strings.HasPrefix(pattern, "/v1/allocation/"):
		id = m.anyAlloc()
	case strings.HasPrefix(pattern, "/v1/evaluation/"):
		id = m.evalID
	case strings.HasPrefix(pattern, "/v1/node/"):
		id = m.node.ID
	case strings.HasPrefix(pattern, "/v1/acl/token/"):
		id = m.root.AccessorID
	case strings.HasPrefix(pattern, "/v1/acl/policy/"):
		id = "default-all" // readable by the tokens that hold it
	case strings.HasPrefix(pattern, "/v1/namespace/"):
		id = "default"
	}
	if dummy && strings.HasPrefix(pattern, "/v1/acl/policy/") {
		id = "matrix-dummy"
	}
	return wildcard.ReplaceAllString(pattern, id)
}

// anyAlloc is the allocation of the first job (on the server+client agent).
func (m *aclMatrix) anyAlloc() string {
	for ag, id := range m.allocs {
		if ag.server != nil {
			return id
		}
	}
	m.t.Fatal("no allocation on the server agent")
	return ""
}

// clientProbes are the client handler's routes (client.Routes()) with the
// allocation running on ag's own client (writes: a dummy allocation).
func (m *aclMatrix) clientProbes(ag *Agent) []probe {
	alloc := m.allocs[ag]
	var out []probe
	for _, rt := range client.Routes() {
		for _, mt := range rt.Methods {
			p := probe{method: mt, need: rt.Need.String(), pattern: rt.Pattern,
				path:   strings.Replace(rt.Pattern, "{alloc}", alloc, 1),
				okPath: strings.Replace(rt.Pattern, "{alloc}", alloc, 1),
			}
			if mt != http.MethodGet {
				p.okPath = strings.Replace(rt.Pattern, "{alloc}", matrixDummyID, 1)
				p.body, p.okBody = `{"Signal":"SIGKILL"}`, matrixBadBody
			}
			switch {
			case rt.Need.NodeRead:
				p.right, p.wrong = "node-read", []string{"default-all", "other-only"}
			case rt.Need.NodeWrite:
				p.right, p.wrong = "node-write", []string{"default-all", "other-only", "node-read"}
			default:
				p.right, p.wrong, p.objectNS = "ns-"+rt.Need.Capability, []string{"other-all"}, true
			}
			out = append(out, withFloors(p))
		}
	}
	return out
}

// nodeCallProbe is a client node's call (register, heartbeat, allocation
// updates): checked by the server with the node's SecretID, ACLs or not.
// The refused requests name the real node; the sufficient one is what
// the node itself sends (its secret, its own state).
func (m *aclMatrix) nodeCallProbe(method, pattern string) probe {
	p := probe{method: method, need: "node SecretID (checked by the server)", right: "node", wrong: []string{"mgmt", "other-all"}}
	p.path = m.fill(pattern, false)
	p.okPath = p.path
	switch pattern {
	case "/v1/client/register":
		forged := m.node.Copy()
		forged.SecretID = matrixDummyID
		p.body, p.okBody = matrixJSON(m.t, map[string]any{"Node": forged}), matrixJSON(m.t, map[string]any{"Node": m.node})
	case "/v1/client/heartbeat/{id}":
		p.body = `{"Status":"ready"}`
		p.okBody = p.body
	case "/v1/client/allocations/update":
		p.body = matrixJSON(m.t, map[string]any{"Allocs": []map[string]any{{"ID": m.anyAlloc(), "NodeID": m.node.ID, "ClientStatus": "failed"}}})
		p.okBody = `{"Allocs":[]}`
	case "/v1/client/services/upsert": // service catalog
		p.body = matrixJSON(m.t, map[string]any{"Services": []map[string]any{{"ID": "forged", "ServiceName": "evil", "Namespace": "default",
			"NodeID": m.node.ID, "JobID": m.jobID, "AllocID": m.anyAlloc(), "Address": "192.0.2.1", "Port": 1}}})
		p.okBody = `{"Services":[]}`
	case "/v1/client/services/deregister": // service catalog
		p.body = `{"IDs":["forged"]}`
		p.okBody = `{"IDs":[]}`
	case "/v1/client/usage": // autoscaler usage samples
		p.body = matrixJSON(m.t, map[string]any{"Allocs": []map[string]any{{"AllocID": m.anyAlloc(), "CPUMHz": 99999, "MemoryMB": 1}}})
		p.okBody = `{"Allocs":[]}`
	case "/v1/client/host-volume/update": // dynamic host volumes
		p.body = matrixJSON(m.t, map[string]any{"Volume": map[string]any{"ID": matrixDummyID, "State": "ready", "HostPath": "/etc"}})
		p.okBody = matrixJSON(m.t, map[string]any{"Volume": map[string]any{"ID": matrixDummyID}})
	default:
		m.t.Fatalf("node call %s: no probe; teach nodeCallProbe about it", pattern)
	}
	return p
}

// debugProbe is a profiler route: agent:write.
func (m *aclMatrix) debugProbe(pattern string) probe {
	p := probe{method: http.MethodGet, path: pattern, okPath: pattern, need: "agent:write", pattern: pattern}
	if strings.HasSuffix(pattern, "/profile") || strings.HasSuffix(pattern, "/trace") {
		p.okPath += "?seconds=1"
	}
	m.needClass(&p)
	return withFloors(p)
}

func matrixJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// run sends p's requests to ag and checks the answers.
func (m *aclMatrix) run(t *testing.T, ag *Agent, p probe) {
	t.Helper()
	name := p.method + " " + p.path
	if code, msg := m.send(ag, p.method, p.path, p.body, ""); code != http.StatusForbidden && !p.anonAllowed {
		t.Errorf("%s anonymous (needs %s): %d %q, want 403", name, p.need, code, msg)
	}
	for _, w := range p.wrong {
		paths := []string{p.path}
		if p.objectNS {
			paths = append(paths, p.path+"?namespace=other")
		}
		for _, path := range paths {
			if code, msg := m.send(ag, p.method, path, p.body, m.secret(w)); code != http.StatusForbidden {
				t.Errorf("%s %s with token %q (needs %s): %d %q, want 403", p.method, path, w, p.need, code, msg)
			}
		}
	}
	if code, msg := m.send(ag, p.method, p.okPath, p.okBody, m.secret(p.right)); code == http.StatusForbidden || code == 0 {
		t.Errorf("%s %s with token %q (needs %s): %d %q, want authorized (not 403)", p.method, p.okPath, p.right, p.need, code, msg)
	}
}

// secret is the SecretID of the token named name ("node": the node's).
func (m *aclMatrix) secret(name string) string {
	if name == "node" {
		return m.node.SecretID
	}
	return m.token(name)
}

// send makes one request and returns its status and, for an error, the
// start of its body (a 2xx body, perhaps a stream, is not read).
func (m *aclMatrix) send(ag *Agent, method, path, body, token string) (int, string) {
	ctx, cancel := context.WithTimeout(m.ctx, 15*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+ag.HTTPAddr()+path, rd)
	if err != nil {
		m.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Nomad-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// Floors: what a route must refuse whatever requirement it registered, from
// its method and path alone (Nomad's "ACL Required" column, coarsely), so
// that a route registered with a too weak requirement fails the matrix
// even though its own requirement's tokens pass.
var (
	// anyTokenRoutes are the only non-public routes a token without
	// rights in "default" and without node, agent or operator rights may
	// use (the event stream filters what it sends).
	anyTokenRoutes = map[string]bool{"GET /v1/namespaces": true, "GET /v1/acl/token/self": true, "GET /v1/event/stream": true,
		"GET /v1/acl/identity/self": true, // any token may ask whose identity it is: 404 unless a workload's
		"GET /v1/vars":              true} // the list is filtered to the variables the token may list
	// readWrites are the PUT/POST routes a read-only token may use: they
	// change nothing.
	readWrites = map[string]bool{"/v1/search": true, "/v1/search/fuzzy": true, "/v1/jobs/parse": true, "/v1/validate/job": true}
	// nsScoped are the path prefixes of namespaced objects: only rights in
	// their namespace open them, never node, agent or operator rights.
	nsScoped = []string{"/v1/job/", "/v1/jobs", "/v1/allocation", "/v1/evaluation", "/v1/client/fs/", "/v1/client/allocation/", "/v1/validate/job"}
)

// withFloors adds the floors' tokens to p's wrong tokens.
func withFloors(p probe) probe {
	add := func(tok string) {
		for _, w := range p.wrong {
			if w == tok {
				return
			}
		}
		p.wrong = append(p.wrong, tok)
	}
	if !anyTokenRoutes[p.method+" "+p.pattern] {
		add("other-only")
	}
	readOnly := p.method != http.MethodGet && !readWrites[p.pattern] ||
		strings.HasPrefix(p.pattern, "/v1/acl/") && p.pattern != "/v1/acl/token/self" && p.pattern != "/v1/acl/policy/{name}" && p.pattern != "/v1/acl/identity/self" ||
		p.pattern == "/v1/operator/snapshot" || strings.HasPrefix(p.pattern, "/debug/pprof/")
	if readOnly {
		add("reader-all")
	}
	for _, pre := range nsScoped {
		if strings.HasPrefix(p.pattern, pre) {
			add("other-all")
		}
	}
	return p
}
