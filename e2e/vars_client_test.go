package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestVarsIdentityClientAgent: a task on a client-only agent reads its own
// job's variable through its local agent's API with its identity (the
// client agent resolves identities through the servers) and gets 403 for
// another job's.
func TestVarsIdentityClientAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agents")
	}
	if os.Geteuid() != 0 {
		t.Skip("raw_exec and the client need root")
	}
	if err := becomeSubreaper(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	dir := t.TempDir()
	acl := "acl {\n  enabled = true\n}\n"
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ports := portsTB(t, 3)
	srv := newAgent(t, dir, "server1", []string{"agent", "-server", "-bootstrap-expect", "1", "-node", "server1",
		"-bind", "127.0.0.1", "-data-dir", filepath.Join(dir, "server1"), "-config", write("server.hcl", acl),
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1])}, ports[0], ports[1])
	cfg := acl + "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n"
	cli := newAgent(t, dir, "client1", []string{"agent", "-client", "-node", "client1", "-bind", "127.0.0.1",
		"-data-dir", filepath.Join(dir, "client1"), "-config", write("client.hcl", cfg),
		"-http-port", strconv.Itoa(ports[2]), "-servers", srv.HTTPAddr()}, ports[2], 0)
	c := &devAgent{faultAgent: cli, tb: t, dir: dir}
	t.Cleanup(func() {
		srv.killGroup()
		c.stopAll()
		if t.Failed() {
			t.Logf("----- server log -----\n%s\n----- client log -----\n%s", srv.logTail(6000), cli.logTail(8000))
		}
	})
	srv.Start()
	var root *nomadlike.ACLToken
	poll.Until(t, ctxLeft(ctx), "the ACL bootstrap", func() (bool, string) {
		tok, _, err := srv.client.ACLTokens().Bootstrap(ctx, "", nil)
		root = tok
		return err == nil, fmt.Sprintf("ACL bootstrap: %v", err)
	})
	for _, a := range []*faultAgent{srv, cli} {
		mc, err := api.NewClient(api.Config{Address: "http://" + a.HTTPAddr(), Token: root.SecretID})
		if err != nil {
			t.Fatal(err)
		}
		a.client = mc
	}
	cli.Start()
	c.waitReady(90*time.Second, "raw_exec")
	v := &varsAgent{devAgent: c, dataDir: filepath.Join(dir, "client1"), root: root.SecretID, ctx: ctx}
	const jobID = "clientapp"
	v.mustCLI("", "var", "put", "nomad/jobs/"+jobID, "password=s3cret-own")
	v.mustCLI("", "var", "put", "nomad/jobs/other", "password=s3cret-other")
	v.mustCLI("", "job", "run", "-detach", v.writeJob(jobID, identityJob(jobID, cli.HTTPAddr())))
	alloc := v.waitOneAlloc(ctx, jobID, nomadlike.AllocClientStatusRunning)
	local := filepath.Join(v.dataDir, "alloc", alloc.ID, "t", "local")
	poll.UntilTrue(t, ctxLeft(ctx), "the task to finish its requests", func() bool { return exists(filepath.Join(local, "done")) })
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(local, name))
		return strings.TrimSpace(string(b))
	}
	if rc, body := read("own.rc"), read("own.txt"); rc != "0" || !strings.Contains(body, "s3cret-own") {
		t.Fatalf("own variable through the client agent: rc %s body %q err %q; want it read", rc, body, read("own.err"))
	}
	if rc, errOut := read("other.rc"), read("other.err"); rc == "0" || !strings.Contains(errOut, "403") {
		t.Fatalf("other job's variable through the client agent: rc %s err %q; want 403", rc, errOut)
	}
}
