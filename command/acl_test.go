package command

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
	"github.com/nomadlike/nomadlike/nomadlike/server"
)

// aclBackend puts a real in-memory server behind the handler, as the
// agent's adapter does (the two methods it converts are not used here).
type aclBackend struct{ *server.Server }

func (b aclBackend) State() httpapi.Store { return b.Server.State() }
func (aclBackend) Peers() []httpapi.Peer  { return nil }
func (aclBackend) PlanJob(*nomadlike.Job, bool) (*api.JobPlanResponse, error) {
	return nil, errors.New("not used")
}

// newACLCluster is newCluster with a real server, whose ACL store the
// acl commands need.
func newACLCluster(t *testing.T) *cluster {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Dev, cfg.NumSchedulers, cfg.NodeName = true, 0, "acl-cli"
	_, cfg.RaftTransport = raft.NewInmemTransport("")
	s, err := server.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	poll.UntilTrue(t, 10*time.Second, "a leader", s.IsLeader)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Server: aclBackend{s}, Agent: &httpapitest.Agent{Healthy: true}}))
	t.Cleanup(srv.Close)
	return &cluster{addr: srv.URL, dir: t.TempDir()}
}

var secretLine = regexp.MustCompile(`(?m)^Secret ID\s+= (\S+)$`)
var accessorLine = regexp.MustCompile(`(?m)^Accessor ID\s+= (\S+)$`)

func TestACLCommands(t *testing.T) {
	cl := newACLCluster(t)
	code, out, errOut := cl.cli(t, "", "acl bootstrap")
	if code != 0 {
		t.Fatalf("acl bootstrap = %d: %s", code, errOut)
	}
	mustContain(t, "acl bootstrap", out, "Name         = Bootstrap Token", "Type         = management", "Expiry Time  = <never>", "Policies     = n/a")
	m := secretLine.FindStringSubmatch(out)
	if m == nil || m[1] == "<hidden>" {
		t.Fatalf("acl bootstrap shows no secret:\n%s", out)
	}
	root := m[1]
	code, _, errOut = cl.cli(t, "", "acl bootstrap")
	if code == 0 || !strings.Contains(errOut, "ACL bootstrap already done (reset index: ") {
		t.Errorf("second acl bootstrap = %d, %q", code, errOut)
	}

	rules := filepath.Join(cl.dir, "dev.hcl")
	if err := os.WriteFile(rules, []byte("namespace \"default\" {\n  policy = \"write\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cl.cli(t, "", "acl policy apply", "-token", root, "-description", "developers", "dev", rules)
	if code != 0 || !strings.Contains(out, `Successfully wrote "dev" ACL policy!`) {
		t.Fatalf("acl policy apply = %d %q %q", code, out, errOut)
	}
	code, _, errOut = cl.cli(t, "namespace \"x\" {\n  polcy = \"read\"\n}\n", "acl policy apply", "-token", root, "bad", "-")
	if code == 0 || !strings.Contains(errOut, "bad:2:3") {
		t.Errorf("acl policy apply (bad rules) = %d, %q; want an error at bad:2:3", code, errOut)
	}
	_, out, _ = cl.cli(t, "", "acl policy list", "-token", root)
	mustContain(t, "acl policy list", out, "Name", "Description", "dev", "developers")
	_, out, _ = cl.cli(t, "", "acl policy info", "-token", root, "dev")
	mustContain(t, "acl policy info", out, "Name        = dev", "Description = developers", "Rules", `policy = "write"`)

	code, out, errOut = cl.cli(t, "", "acl token create", "-token", root, "-name", "ci", "-policy", "dev", "-ttl", "1h")
	if code != 0 {
		t.Fatalf("acl token create = %d: %s", code, errOut)
	}
	mustContain(t, "acl token create", out, "Name         = ci", "Type         = client", "Policies     = [dev]")
	if strings.Contains(out, "Expiry Time  = <never>") {
		t.Errorf("token created with -ttl never expires:\n%s", out)
	}
	secret := secretLine.FindStringSubmatch(out)[1]
	accessor := accessorLine.FindStringSubmatch(out)[1]

	_, out, _ = cl.cli(t, "", "acl token list", "-token", root)
	mustContain(t, "acl token list", out, "Name", "Type", "Global", "Accessor ID", "Expired", "Bootstrap Token", "ci", accessor)
	_, out, _ = cl.cli(t, "", "acl token info", "-token", root, accessor)
	mustContain(t, "acl token info", out, "Secret ID    = <hidden>", "Name         = ci")
	_, out, _ = cl.cli(t, "", "acl token self", "-token", secret)
	mustContain(t, "acl token self", out, "Accessor ID  = "+accessor)
	t.Setenv("NOMAD_TOKEN", secret)
	_, out, _ = cl.cli(t, "", "acl token self")
	mustContain(t, "acl token self with NOMAD_TOKEN", out, "Accessor ID  = "+accessor)

	_, out, errOut = cl.cli(t, "", "acl token update", "-token", root, "-name", "ci-2", accessor)
	mustContain(t, "acl token update", out+errOut, "Name         = ci-2", "Policies     = [dev]")
	code, out, _ = cl.cli(t, "", "acl token delete", "-token", root, accessor)
	if code != 0 || !strings.Contains(out, "Token "+accessor+" successfully deleted") {
		t.Errorf("acl token delete = %d %q", code, out)
	}
	code, _, errOut = cl.cli(t, "", "acl token self", "-token", secret)
	if code == 0 || !strings.Contains(errOut, "ACL token not found") {
		t.Errorf("acl token self with a deleted token = %d %q, want ACL token not found", code, errOut)
	}
	code, out, _ = cl.cli(t, "", "acl policy delete", "-token", root, "dev")
	if code != 0 || !strings.Contains(out, `Successfully deleted "dev" ACL policy!`) {
		t.Errorf("acl policy delete = %d %q", code, out)
	}
}

// TestACLCommandsTakeToken: every acl command has -token and -address.
func TestACLCommandsTakeToken(t *testing.T) {
	var walk func(path string, c *cli.Command)
	walk = func(path string, c *cli.Command) {
		path += " " + c.Name
		if len(c.Subcommands) > 0 {
			for _, sub := range c.Subcommands {
				walk(path, sub)
			}
			return
		}
		names := map[string]bool{}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				names[n] = true
			}
		}
		if !names["token"] || !names["address"] {
			t.Errorf("%s lacks -token or -address", path)
		}
	}
	walk("nomadlike", aclCommand())
}
