package command

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// cluster is an httptest agent: the real HTTP API over a fake server with a
// first-fit scheduler and one ready node.
type cluster struct {
	fake *httpapitest.Server
	addr string
	node *nomadlike.Node
	dir  string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	fake := httpapitest.NewServer()
	fake.Schedule = true
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Server: fake, Agent: &httpapitest.Agent{Healthy: true}}))
	t.Cleanup(srv.Close)
	node := fixture.Node()
	if _, _, err := fake.RegisterNode(node, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return &cluster{fake: fake, addr: srv.URL, node: node, dir: t.TempDir()}
}

// cli runs "nomadlike CMD -address ADDR ARGS..." against the cluster with
// stdin (CMD is the space-separated command path) and returns the exit code
// and output streams.
func (cl *cluster) cli(t *testing.T, stdin, cmd string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := NewApp(&stdout, &stderr)
	app.Reader = strings.NewReader(stdin)
	full := append([]string{"nomadlike"}, strings.Fields(cmd)...)
	full = append(full, "-address", cl.addr)
	full = append(full, args...)
	code := runApp(app, full, &stderr)
	return code, stdout.String(), stderr.String()
}

func (cl *cluster) jobFile(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(cl.dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func webJob(id string, count, memory int) string {
	return `job "` + id + `" {
  datacenters = ["dc1"]
  group "web" {
    count = ` + itoa(count) + `
    task "app" {
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["100"]
      }
      resources {
        cpu    = 100
        memory = ` + itoa(memory) + `
      }
    }
  }
}
`
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

func TestJobRunMonitorsEvaluation(t *testing.T) {
	cl := newCluster(t)
	file := cl.jobFile(t, "web.nomad.hcl", webJob("web", 2, 256))
	code, out, errOut := cl.cli(t, "", "job run", file)
	if code != 0 {
		t.Fatalf("job run = %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "job run output", out, "==> ", `Monitoring evaluation "`, `Evaluation triggered by job "web"`,
		`created: node "`+cl.node.ID[:8]+`", group "web"`, `finished with status "complete"`)
	if n := strings.Count(out, "Allocation \""); n != 2 {
		t.Errorf("job run reported %d allocations, want 2:\n%s", n, out)
	}

	// -detach prints the evaluation ID only.
	code, out, _ = cl.cli(t, "", "job run", "-detach", file)
	if code != 0 || !strings.Contains(out, "Evaluation ID: ") || strings.Contains(out, "Monitoring") {
		t.Errorf("job run -detach = %d %q", code, out)
	}

	// -check-index with a stale index refuses.
	code, _, errOut = cl.cli(t, "", "job run", "-check-index", "1", file)
	if code != 1 || !strings.Contains(errOut, "not registered") {
		t.Errorf("job run -check-index 1 = %d %q, want 1 and not registered", code, errOut)
	}
}

func TestJobRunPlacementFailure(t *testing.T) {
	cl := newCluster(t)
	file := cl.jobFile(t, "big.nomad.hcl", webJob("big", 2, 100000))
	code, out, _ := cl.cli(t, "", "job run", file)
	if code != 2 {
		t.Fatalf("job run (too big) = %d, want 2\n%s", code, out)
	}
	mustContain(t, "job run output", out, "but failed to place all allocations:",
		`Task Group "web" (failed to place 2 allocations):`, "Resources exhausted on 1 nodes",
		`Dimension "memory" exhausted on 1 nodes`, "waiting for additional capacity")

	code, out, _ = cl.cli(t, "", "job status", "bi")
	if code != 0 {
		t.Fatalf("job status = %d\n%s", code, out)
	}
	mustContain(t, "job status", out, "ID            = big", "Placement Failure", `Dimension "memory" exhausted`, "No allocations placed")

	code, out, _ = cl.cli(t, "", "eval list")
	if code != 0 || !strings.Contains(out, "Placement Failures") || !strings.Contains(out, "true") {
		t.Errorf("eval list = %d\n%s", code, out)
	}
	evals, _ := cl.fake.State().EvalsByJob(nil, "default", "big")
	var failedID string
	for _, e := range evals {
		if len(e.FailedTGAllocs) > 0 {
			failedID = e.ID
		}
	}
	code, out, _ = cl.cli(t, "", "eval status", failedID[:6])
	if code != 0 {
		t.Fatalf("eval status = %d\n%s", code, out)
	}
	mustContain(t, "eval status", out, "Placement Failures = true", "Failed Placements", `Dimension "memory" exhausted on 1 nodes`)
}

func TestJobStatusPlanHistoryInspectStop(t *testing.T) {
	cl := newCluster(t)
	file := cl.jobFile(t, "web.nomad.hcl", webJob("web", 2, 256))

	// Plan a new job: changes, exit 1.
	code, out, _ := cl.cli(t, "", "job plan", file)
	if code != 1 {
		t.Fatalf("job plan (new) = %d, want 1\n%s", code, out)
	}
	mustContain(t, "job plan", out, `+ Job: "web"`, `+ Task Group: "web" (2 create)`, "All tasks successfully allocated",
		"job run -check-index 0 "+file)

	if code, out, _ := cl.cli(t, "", "job run", file); code != 0 {
		t.Fatalf("job run = %d\n%s", code, out)
	}
	// Plan the same job: nothing to do, exit 0.
	code, out, _ = cl.cli(t, "", "job plan", file)
	if code != 0 {
		t.Fatalf("job plan (same) = %d, want 0\n%s", code, out)
	}
	// Plan a bigger count: an edit, exit 1.
	file3 := cl.jobFile(t, "web3.nomad.hcl", webJob("web", 3, 256))
	code, out, _ = cl.cli(t, "", "job plan", file3)
	if code != 1 {
		t.Fatalf("job plan (count 3) = %d, want 1\n%s", code, out)
	}
	mustContain(t, "job plan", out, `+/- Job: "web"`, `+/- Task Group: "web" (1 create, 2 ignore)`, `+/- Count: "2" => "3"`)

	// Plan errors exit 255.
	code, _, _ = cl.cli(t, "", "job plan", filepath.Join(cl.dir, "missing.hcl"))
	if code != 255 {
		t.Errorf("job plan (missing file) = %d, want 255", code)
	}

	code, out, _ = cl.cli(t, "", "job status")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "job list", out, "ID", "Type", "Priority", "Status", "Submit Date", "web", "service")

	code, out, _ = cl.cli(t, "", "job status", "web")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "job status", out, "Status        = ", "Summary", "Task Group  Queued", "Allocations", cl.node.ID[:8], " run ")
	if strings.Contains(out, "Placement Failure") {
		t.Errorf("job status shows a placement failure for a placed job:\n%s", out)
	}

	code, out, _ = cl.cli(t, "", "job status", "-json", "web")
	var job nomadlike.Job
	if code != 0 || json.Unmarshal([]byte(out), &job) != nil || job.ID != "web" {
		t.Errorf("job status -json = %d %q", code, out)
	}

	if code, out, _ := cl.cli(t, "", "job run", file3); code != 0 {
		t.Fatalf("job run v1 = %d\n%s", code, out)
	}
	code, out, _ = cl.cli(t, "", "job history", "-p", "web")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "job history", out, "Version     = 1", "Version     = 0", `+/- Count: "2" => "3"`)

	code, out, _ = cl.cli(t, "", "job inspect", "web")
	var wrapped struct{ Job *nomadlike.Job }
	if code != 0 || json.Unmarshal([]byte(out), &wrapped) != nil || wrapped.Job == nil || wrapped.Job.TaskGroups[0].Count != 3 {
		t.Errorf("job inspect = %d %q", code, out)
	}
	code, out, _ = cl.cli(t, "", "job inspect", "-version", "0", "web")
	if code != 0 || json.Unmarshal([]byte(out), &wrapped) != nil || wrapped.Job.TaskGroups[0].Count != 2 {
		t.Errorf("job inspect -version 0 = %d %q", code, out)
	}

	code, out, _ = cl.cli(t, "", "job stop", "web")
	if code != 0 {
		t.Fatalf("job stop = %d\n%s", code, out)
	}
	mustContain(t, "job stop", out, "Monitoring evaluation", `finished with status "complete"`)
	stored, _ := cl.fake.State().JobByID(nil, "default", "web")
	if stored == nil || !stored.Stop {
		t.Errorf("after job stop, job = %+v, want Stop", stored)
	}
	allocs, _ := cl.fake.State().AllocsByJob(nil, "default", "web")
	for _, a := range allocs {
		if a.DesiredStatus != nomadlike.AllocDesiredStatusStop {
			t.Errorf("alloc %s desired %s after stop, want stop", a.ID, a.DesiredStatus)
		}
	}
	if code, _, _ := cl.cli(t, "", "job stop", "-purge", "-detach", "web"); code != 0 {
		t.Errorf("job stop -purge = %d", code)
	}
	if code, _, errOut := cl.cli(t, "", "job status", "web"); code != 1 || !strings.Contains(errOut, `No job(s) with prefix or id "web" found`) {
		t.Errorf("job status after purge = %d %q", code, errOut)
	}
}

func TestNodeCommands(t *testing.T) {
	cl := newCluster(t)
	id := cl.node.ID
	if code, out, _ := cl.cli(t, "", "job run", cl.jobFile(t, "web.nomad.hcl", webJob("web", 1, 256))); code != 0 {
		t.Fatal(out)
	}
	code, out, _ := cl.cli(t, "", "node status")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "node status", out, "ID", "DC", "Eligibility", id[:8], "dc1", "ready", "eligible")

	code, out, _ = cl.cli(t, "", "node status", "-verbose", id[:6])
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "node status ID", out, "Drivers", "exec", "Allocated Resources", "100/", "256 MiB/", "Allocations",
		"Attributes", "kernel.name", "= linux")

	// Drain asks first; "n" keeps the node as it was.
	code, _, errOut := cl.cli(t, "n\n", "node drain", "-enable", id[:8])
	if code != 1 || !strings.Contains(errOut, "not enabled") {
		t.Errorf("node drain declined = %d %q", code, errOut)
	}
	if n, _ := cl.fake.State().NodeByID(nil, id); n.DrainStrategy != nil {
		t.Fatalf("declined drain changed the node")
	}
	code, out, _ = cl.cli(t, "", "node drain", "-enable", "-yes", "-detach", "-deadline", "30m", id[:8])
	if code != 0 || !strings.Contains(out, "drain strategy set") {
		t.Fatalf("node drain -enable = %d %q", code, out)
	}
	n, _ := cl.fake.State().NodeByID(nil, id)
	if n.DrainStrategy == nil || n.DrainStrategy.Deadline.Minutes() != 30 {
		t.Fatalf("drain strategy = %+v, want 30m deadline", n.DrainStrategy)
	}
	_, out, _ = cl.cli(t, "", "node status", id)
	mustContain(t, "node status while draining", out, "Drain       = true (deadline ", "Eligibility = ineligible")
	if code, out, _ := cl.cli(t, "", "node drain", "-disable", id); code != 0 || !strings.Contains(out, "Drain disabled") {
		t.Errorf("node drain -disable = %d %q", code, out)
	}
	n, _ = cl.fake.State().NodeByID(nil, id)
	if n.DrainStrategy != nil || n.SchedulingEligibility != nomadlike.NodeSchedulingEligible {
		t.Errorf("after drain -disable: %+v %s", n.DrainStrategy, n.SchedulingEligibility)
	}
	// Without -detach the drain is monitored until it ends.
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out, _ := cl.cli(t, "", "node drain", "-enable", "-yes", "-force", id)
		done <- result{code, out}
	}()
	poll.UntilTrue(t, 10*time.Second, "node drain -enable to set the drain strategy", func() bool {
		n, _ := cl.fake.State().NodeByID(nil, id)
		return n.DrainStrategy != nil
	})
	// The servers finish the drain: the strategy goes, the node stays ineligible.
	if _, err := cl.fake.UpdateNodeDrain(id, nil, false); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.out, "Drain complete for node") || !strings.Contains(r.out, "1 allocation left") {
		t.Errorf("monitored drain = %d %q", r.code, r.out)
	}
	if code, _, errOut := cl.cli(t, "", "node drain", id); code != 1 || !strings.Contains(errOut, "exactly one of -enable or -disable") {
		t.Errorf("node drain without mode = %d %q", code, errOut)
	}

	if code, out, _ := cl.cli(t, "", "node eligibility", "-disable", id[:8]); code != 0 || !strings.Contains(out, "ineligible for scheduling") {
		t.Errorf("node eligibility -disable = %d %q", code, out)
	}
	n, _ = cl.fake.State().NodeByID(nil, id)
	if n.SchedulingEligibility != nomadlike.NodeSchedulingIneligible {
		t.Errorf("eligibility = %s, want ineligible", n.SchedulingEligibility)
	}
	if code, _, errOut := cl.cli(t, "", "node status", "ffffffff"); code != 1 || !strings.Contains(errOut, `No node(s) with prefix or id "ffffffff" found`) {
		t.Errorf("node status unknown = %d %q", code, errOut)
	}
}

func TestStatusServerOperator(t *testing.T) {
	cl := newCluster(t)
	if code, out, _ := cl.cli(t, "", "job run", cl.jobFile(t, "web.nomad.hcl", webJob("web", 1, 256))); code != 0 {
		t.Fatal(out)
	}
	code, out, _ := cl.cli(t, "", "status")
	if code != 0 || !strings.Contains(out, "web") {
		t.Errorf("status = %d %q", code, out)
	}
	code, out, _ = cl.cli(t, "", "status", "we")
	if code != 0 || !strings.Contains(out, "ID            = web") {
		t.Errorf("status <job prefix> = %d %q", code, out)
	}
	code, out, _ = cl.cli(t, "", "status", cl.node.ID[:8])
	if code != 0 || !strings.Contains(out, "Allocated Resources") {
		t.Errorf("status <node prefix> = %d %q", code, out)
	}
	allocs, _ := cl.fake.State().AllocsByJob(nil, "default", "web")
	code, out, _ = cl.cli(t, "", "status", allocs[0].ID)
	if code != 0 || !strings.Contains(out, "Client Status") {
		t.Errorf("status <alloc> = %d %q", code, out)
	}
	if code, _, errOut := cl.cli(t, "", "status", "zzzz"); code != 1 || !strings.Contains(errOut, "No job(s), allocation(s), node(s) or evaluation(s)") {
		t.Errorf("status unknown = %d %q", code, errOut)
	}

	code, out, _ = cl.cli(t, "", "server members")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "server members", out, "Name", "Address", "Port", "Status", "s1.global", "alive")

	code, out, _ = cl.cli(t, "", "operator raft list-peers")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "list-peers", out, "Node", "Address", "State", "Voter", "127.0.0.1:4647", "leader")

	snap := filepath.Join(cl.dir, "backup.snap")
	code, out, _ = cl.cli(t, "", "operator snapshot save", snap)
	if code != 0 || !strings.Contains(out, "State file written to "+snap) {
		t.Fatalf("snapshot save = %d %q", code, out)
	}
	if code, _, _ := cl.cli(t, "", "job stop", "-purge", "web"); code != 0 {
		t.Fatal("job stop -purge failed")
	}
	code, out, _ = cl.cli(t, "", "operator snapshot restore", snap)
	if code != 0 || !strings.Contains(out, "Snapshot Restored") {
		t.Fatalf("snapshot restore = %d %q", code, out)
	}
	if j, _ := cl.fake.State().JobByID(nil, "default", "web"); j == nil {
		t.Errorf("job web missing after restoring the snapshot taken before the purge")
	}
	if code, _, errOut := cl.cli(t, "", "operator snapshot restore", filepath.Join(cl.dir, "nope")); code != 1 || !strings.Contains(errOut, "open snapshot") {
		t.Errorf("restore missing file = %d %q", code, errOut)
	}
}

func TestAmbiguousPrefix(t *testing.T) {
	cl := newCluster(t)
	for _, id := range []string{"web-a", "web-b"} {
		if code, out, _ := cl.cli(t, "", "job run", "-detach", cl.jobFile(t, id+".hcl", webJob(id, 1, 64))); code != 0 {
			t.Fatal(out)
		}
	}
	code, _, errOut := cl.cli(t, "", "job status", "web")
	if code != 1 || !strings.Contains(errOut, "matched multiple jobs") || !strings.Contains(errOut, "web-a") || !strings.Contains(errOut, "web-b") {
		t.Errorf("ambiguous job status = %d %q", code, errOut)
	}
}

func TestAgentUnreachable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := RunWith([]string{"nomadlike", "node", "status", "-address", "http://127.0.0.1:1"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "list nodes") || !strings.Contains(stderr.String(), "127.0.0.1:1") {
		t.Errorf("node status (no agent) = %d %q", code, stderr.String())
	}
}
