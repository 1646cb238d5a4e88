package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// varsAgent is a persistent agent (raft and BoltDB on disk) with ACLs on,
// raw_exec enabled and, with encrypt, a cluster key: the setting of the
// Variables e2e tests. root is the bootstrap management token.
type varsAgent struct {
	*devAgent
	dataDir string
	root    string
	ctx     context.Context
}

func startVarsAgent(t *testing.T, encrypt bool) *varsAgent {
	t.Helper()
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if os.Geteuid() != 0 {
		t.Skip("raw_exec and the client need root")
	}
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	t.Cleanup(cancel)
	dir := t.TempDir()
	cfg := "acl {\n  enabled = true\n}\nplugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n"
	if encrypt {
		cfg += "server {\n  encrypt = \"" + "c2VjcmV0LWNsdXN0ZXIta2V5LWZvci12YXJzLXRlc3Q=" + "\"\n}\n"
	}
	cfgPath := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ports := portsTB(t, 2)
	dataDir := filepath.Join(dir, "data")
	fa := newAgent(t, dir, "vars1", []string{"agent", "-node", "vars1", "-data-dir", dataDir, "-config", cfgPath,
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]),
		"-server", "-client", "-bootstrap-expect", "1", "-bind", "127.0.0.1"}, ports[0], ports[1])
	a := &devAgent{faultAgent: fa, tb: t, dir: dir}
	t.Cleanup(func() {
		a.stopAll()
		if t.Failed() {
			t.Logf("----- agent log (tail) -----\n%s", a.logTail(12000))
		}
	})
	a.Start()
	var root *nomadlike.ACLToken
	poll.Until(t, ctxLeft(ctx), "the ACL bootstrap", func() (bool, string) {
		tok, _, err := fa.client.ACLTokens().Bootstrap(ctx, "", nil)
		root = tok
		return err == nil, fmt.Sprintf("ACL bootstrap: %v", err)
	})
	mc, err := api.NewClient(api.Config{Address: "http://" + a.HTTPAddr(), Token: root.SecretID})
	if err != nil {
		t.Fatal(err)
	}
	fa.client = mc
	a.waitReady(90*time.Second, "raw_exec")
	return &varsAgent{devAgent: a, dataDir: dataDir, root: root.SecretID, ctx: ctx}
}

// cli runs the CLI against the agent with token (NOMAD_TOKEN) and stdin.
func (v *varsAgent) cli(token, stdin string, args ...string) (int, string) {
	v.tb.Helper()
	cmd := exec.CommandContext(v.ctx, nomadlikeBin, args...)
	cmd.Env = append(os.Environ(), "NOMAD_TOKEN="+token, "NOMAD_ADDR=http://"+v.HTTPAddr())
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		v.tb.Fatal(err)
	}
	return 0, string(out)
}

// mustCLI is cli that fails the test unless the command succeeds.
func (v *varsAgent) mustCLI(stdin string, args ...string) string {
	v.tb.Helper()
	code, out := v.cli(v.root, stdin, args...)
	if code != 0 {
		v.tb.Fatalf("nomadlike %v = exit %d\n%s", args, code, out)
	}
	return out
}

// grepTree returns the files under root (and extra files) that contain
// needle.
func grepTree(t *testing.T, needle string, roots ...string) []string {
	t.Helper()
	var hits []string
	for _, root := range roots {
		_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(b), needle) {
				hits = append(hits, p)
			}
			return nil
		})
	}
	return hits
}
