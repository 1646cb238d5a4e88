package client_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client"
)

// policyResolver resolves a secret to the policy source of that name in
// its map, "mgmt" to the management ACL, "" to no rights.
type policyResolver map[string]string

func (p policyResolver) ResolveToken(secret string) (*acl.ACL, error) {
	if secret == "mgmt" {
		return acl.ManagementACL(), nil
	}
	if secret == "" {
		return acl.Compile()
	}
	src, ok := p[secret]
	if !ok {
		return nil, fmt.Errorf("resolve: %w", nomadlike.ErrTokenNotFound)
	}
	pol, err := acl.Parse(secret, []byte(src))
	if err != nil {
		return nil, err
	}
	return acl.Compile(pol)
}

func testResolver() policyResolver {
	r := policyResolver{
		"other-all":   `namespace "other" { policy = "write" }` + "\nnode { policy = \"write\" }",
		"default-all": `namespace "default" { policy = "write" }`,
		"node-read":   `node { policy = "read" }`,
		"node-write":  `node { policy = "write" }`,
	}
	for _, c := range []string{acl.NamespaceCapabilitySubmitJob, acl.NamespaceCapabilityReadLogs, acl.NamespaceCapabilityReadJob, acl.NamespaceCapabilityAllocLifecycle, acl.NamespaceCapabilityAllocExec, acl.NamespaceCapabilityReadFS} {
		r["cap:"+c] = fmt.Sprintf(`namespace "default" { capabilities = [%q] }`, c)
	}
	return r
}

// TestClientACLRouteMatrix walks every route of the client's handler (the
// table it is built from): without a token or with a token that grants
// the wrong thing, 403; with one that grants just the route's need, not.
func TestClientACLRouteMatrix(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.ACL = testResolver()
	c := e.start(cfg)
	a := e.alloc(c.NodeID(), map[string]any{"run_for": "1h"})
	e.waitServerStatus(a.ID, nomadlike.AllocClientStatusRunning)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	send := func(method, path, tok string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader([]byte(`{"Signal":"SIGUSR1","Cmd":["true"]}`)))
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set("X-Nomad-Token", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return resp.StatusCode, string(b)
	}
	for _, rt := range client.Routes() {
		right, wrong := "cap:"+rt.Need.Capability, "other-all"
		if rt.Need.NodeRead {
			right, wrong = "node-read", "default-all"
		}
		if rt.Need.NodeWrite {
			right, wrong = "node-write", "default-all"
		}
		path := strings.Replace(rt.Pattern, "{alloc}", a.ID, 1)
		wrongs := []string{"", wrong, nomadlike.GenerateUUID()}
		if rt.Need.Capability == acl.NamespaceCapabilityReadFS {
			wrongs = append(wrongs, "cap:"+acl.NamespaceCapabilityReadLogs) // read-logs does not grant the file system
		}
		for _, m := range rt.Methods {
			t.Run(m+" "+rt.Pattern, func(t *testing.T) {
				for _, tok := range wrongs {
					if code, body := send(m, path, tok); code != http.StatusForbidden {
						t.Errorf("token %q (needs %s): %d %q, want 403", tok, rt.Need, code, body)
					}
				}
				if code, body := send(m, path, right); code == http.StatusForbidden {
					t.Errorf("token %q (needs %s): 403 %q, want it allowed", right, rt.Need, body)
				}
			})
		}
	}
	// An allocation this node does not run: 403 without rights, 404 with.
	unknown := "/v1/client/allocation/" + nomadlike.GenerateUUID() + "/stats"
	if code, _ := send("GET", unknown, ""); code != http.StatusForbidden {
		t.Errorf("unknown allocation, no token = %d, want 403", code)
	}
	if code, _ := send("GET", unknown, "cap:read-job"); code != http.StatusNotFound {
		t.Errorf("unknown allocation, read-job = %d, want 404", code)
	}
}

var updateDocs = flag.Bool("update", false, "rewrite the generated client table in website/acl-enforcement.md")

// TestClientACLDocTable: the client route table of
// website/acl-enforcement.md is clientRoutes (-update rewrites it).
func TestClientACLDocTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| method | path | ACL required |\n|---|---|---|\n")
	for _, rt := range client.Routes() {
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", strings.Join(rt.Methods, ", "), rt.Pattern, rt.Need)
	}
	want := b.String()
	path := filepath.Join("..", "..", "website", "acl-enforcement.md")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- BEGIN client routes -->\n", "<!-- END client routes -->"
	s := string(src)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no client routes markers", path)
	}
	if s[i+len(begin):j] == want {
		return
	}
	if !*updateDocs {
		t.Fatalf("%s: the client routes table is out of date; run this test with -update. Want:\n%s", path, want)
	}
	if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAllocReadsCarryNodeSecret: the client reads its allocations from the
// servers with its node SecretID as the token (the servers require it when
// ACLs are on), as it does for register and heartbeats.
func TestAllocReadsCarryNodeSecret(t *testing.T) {
	var mu sync.Mutex
	tokens := map[string]string{} // path kind -> last token
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/v1/client/register":
			var body struct{ Node *nomadlike.Node }
			_ = json.NewDecoder(r.Body).Decode(&body)
			secret = body.Node.SecretID
			fmt.Fprintf(w, `{"NodeID":%q,"HeartbeatTTL":10000000000,"Index":1}`, body.Node.ID)
		case strings.HasPrefix(r.URL.Path, "/v1/client/heartbeat/"):
			fmt.Fprint(w, `{"HeartbeatTTL":10000000000,"Index":1}`)
		case strings.HasPrefix(r.URL.Path, "/v1/client/allocations/"):
			tokens["allocations"] = r.Header.Get("X-Nomad-Token")
			mu.Unlock()
			<-r.Context().Done() // a blocking query that ends with the client
			mu.Lock()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	servers, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	cfg := e.config()
	cfg.Servers = servers
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	poll.Until(t, 10*time.Second, "the client to read its allocations", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return tokens["allocations"] != "", "the client never read its allocations"
	})
	mu.Lock()
	defer mu.Unlock()
	if tokens["allocations"] != secret || secret == "" {
		t.Errorf("allocation read token = %q, want the node SecretID %q", tokens["allocations"], secret)
	}
}
