package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// TestNamespacesDevAgent drives namespaces from the CLI against a real
// `agent -dev`: a job file naming a namespace that does not exist is
// refused and nothing is stored; two namespaces then each run a job "web"
// independently (status, -namespace '*', NOMAD_NAMESPACE, stopping one
// leaves the other running); a namespace with a running job and the
// default namespace cannot be deleted.
func TestNamespacesDevAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	t.Setenv("NOMAD_NAMESPACE", "")
	t.Setenv("NOMADLIKE_NAMESPACE", "")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startAgent(t, "dev", "-dev")
	addr := "-address=http://" + p.HTTPAddr()
	waitOneReadyNode(ctx, t, p.client)

	job := filepath.Join(t.TempDir(), "web.nomad.hcl")
	src := `job "web" {
  namespace   = "team-a"
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`
	if err := os.WriteFile(job, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (int, string) { return runCLI(ctx, t, args...) }

	code, out := cli("job", "run", addr, job)
	if code != 1 || !strings.Contains(out, `Job.Namespace: namespace "team-a" does not exist`) {
		t.Fatalf("job run in an unknown namespace = %d\n%s", code, out)
	}
	all := &api.QueryOptions{Namespace: nomadlike.AllNamespaces}
	if jobs, _, err := p.client.Jobs().List(ctx, all); err != nil || len(jobs) != 0 {
		t.Fatalf("jobs after a refused run = %v, %v; want none", jobs, err)
	}

	if code, out := cli("namespace", "apply", addr, "-description", "Team A", "team-a"); code != 0 {
		t.Fatalf("namespace apply = %d\n%s", code, out)
	}
	if code, out := cli("job", "run", addr, job); code != 0 {
		t.Fatalf("job run (team-a from the file) = %d\n%s", code, out)
	}
	if code, out := cli("job", "run", addr, "-namespace", "default", job); code != 0 {
		t.Fatalf("job run -namespace default = %d\n%s", code, out)
	}
	for _, ns := range []string{"team-a", "default"} {
		waitAllocStatus(ctx, t, p.client, ns, nomadlike.AllocClientStatusRunning)
	}

	code, out = cli("job", "status", addr, "-namespace", "*")
	if code != 0 || !strings.Contains(out, "team-a") || !strings.Contains(out, "default") {
		t.Errorf("job status -namespace '*' = %d\n%s", code, out)
	}
	code, out = cli("namespace", "delete", addr, "team-a")
	if code != 1 || !strings.Contains(out, "non-terminal job") {
		t.Errorf("namespace delete with a running job = %d\n%s", code, out)
	}
	code, out = cli("namespace", "delete", addr, "default")
	if code != 1 || !strings.Contains(out, "cannot be deleted") {
		t.Errorf("namespace delete default = %d\n%s", code, out)
	}

	// NOMAD_NAMESPACE picks the namespace of job stop: only team-a's web
	// stops.
	t.Setenv("NOMAD_NAMESPACE", "team-a")
	code, out = cli("job", "stop", addr, "web")
	t.Setenv("NOMAD_NAMESPACE", "")
	if code != 0 {
		t.Fatalf("NOMAD_NAMESPACE=team-a job stop web = %d\n%s", code, out)
	}
	waitAllocStatus(ctx, t, p.client, "team-a", nomadlike.AllocClientStatusComplete)
	code, out = cli("job", "status", addr, "web")
	if code != 0 || !strings.Contains(out, "Namespace     = default") || !strings.Contains(out, "running") {
		t.Errorf("job status web (default) after stopping team-a/web = %d\n%s", code, out)
	}
	if allocs := nsWebAllocs(ctx, t, p.client, "default"); len(allocs) != 1 || allocs[0].ClientStatus != nomadlike.AllocClientStatusRunning {
		t.Errorf("default/web allocations after stopping team-a/web = %v", allocs)
	}
	// With its job dead and its allocation stopped, team-a can go.
	code, out = cli("namespace", "delete", addr, "team-a")
	if code != 0 {
		t.Errorf("namespace delete of a namespace with only a dead job = %d\n%s", code, out)
	}
}

func waitOneReadyNode(ctx context.Context, t *testing.T, c *api.Client) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), "a ready node", func() (bool, string) {
		nodes, _, err := c.Nodes().List(ctx, nil)
		return err == nil && len(nodes) == 1 && nodes[0].Status == nomadlike.NodeStatusReady, fmt.Sprintf("%v %v", nodes, err)
	})
}

func nsWebAllocs(ctx context.Context, t *testing.T, c *api.Client, ns string) []*nomadlike.AllocListStub {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(ctx, "web", false, &api.QueryOptions{Namespace: ns})
	if err != nil {
		t.Fatalf("allocations of %s/web: %v", ns, err)
	}
	return allocs
}

// waitAllocStatus waits until the one allocation of ns/web has status.
func waitAllocStatus(ctx context.Context, t *testing.T, c *api.Client, ns, status string) {
	t.Helper()
	poll.Until(t, ctxLeft(ctx), fmt.Sprintf("%s/web's allocation to be %s", ns, status), func() (bool, string) {
		allocs := nsWebAllocs(ctx, t, c, ns)
		return len(allocs) == 1 && allocs[0].ClientStatus == status, fmt.Sprintf("%+v", allocs)
	})
}
