package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The services e2e: checks, deployments, the catalog, DNS and template
// re-rendering together, on one real agent with real busybox httpd tasks
// (raw_exec) whose http check decides their deployment health and their
// place in the catalog, the DNS answer and a load balancer's config.

// svcWeb shapes one version of the test's web service job.
type svcWeb struct {
	id      string // job ID and service name
	version string // served in index.html and set in the task's env (a destructive update)
	path    string // the http check's path ("/" passes, "/missing" is a 404)
	count   int
	update  string // the update block's body; "" runs without an update block
}

// hcl renders the job: busybox httpd serving local/www, whose index.html
// a template writes, on a dynamic port registered in the catalog with an
// http check every second.
func (w svcWeb) hcl() string {
	update := ""
	if w.update != "" {
		update = "    update {\n" + w.update + "\n    }\n"
	}
	return fmt.Sprintf(`job %[1]q {
  datacenters = ["dc1"]
  group "web" {
    count = %[2]d
%[3]s
    network {
      port "http" {}
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    service {
      name     = %[1]q
      port     = "http"
      provider = "nomad"
      check {
        name     = "index"
        type     = "http"
        path     = %[4]q
        interval = "1s"
        timeout  = "1s"
      }
    }
    task "httpd" {
      driver = "raw_exec"
      env {
        VERSION = %[5]q
      }
      config {
        command = "/bin/busybox"
        args    = ["httpd", "-f", "-p", "${NOMAD_PORT_http}", "-h", "local/www"]
      }
      template {
        destination = "local/www/index.html"
        data        = "%[5]s {{ env \"NOMAD_ALLOC_ID\" }}\n"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, w.id, w.count, update, w.path, w.version)
}

// svcUpdate is the rolling update of the tests: one at a time, healthy
// when the checks pass for 2s.
const svcUpdate = `      max_parallel      = 1
      health_check      = "checks"
      min_healthy_time  = "2s"
      healthy_deadline  = "20s"
      progress_deadline = "40s"
      auto_revert       = true`

// startSvcAgent starts a dev agent whose tasks and checks stay on
// loopback, with the DNS interface on dnsPort when it is not 0.
func startSvcAgent(t *testing.T, dnsPort int, drivers ...string) *devAgent {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("busybox not installed")
	}
	cfg := "client {\n  network_interface = \"lo\"\n"
	if dnsPort != 0 {
		cfg += fmt.Sprintf("  dns {\n    enabled = true\n    bind = \"127.0.0.1\"\n    port = %d\n    ttl = \"0s\"\n  }\n", dnsPort)
	}
	return startDevAgent(t, devAgentOptions{config: cfg + "}\n", logLevel: "INFO"}, append(drivers, "raw_exec")...)
}

// healthyAllocs returns the job's allocations that should run, run, and
// are passing in the catalog.
func healthyAllocs(ctx context.Context, cl *api.Client, jobID, service string) (map[string]*nomadlike.AllocListStub, error) {
	allocs, _, err := cl.Jobs().Allocations(ctx, jobID, false, nil)
	if err != nil {
		return nil, err
	}
	regs, _, err := cl.Services().Get(ctx, service, nil)
	if err != nil {
		return nil, err
	}
	passing := map[string]bool{}
	for _, r := range regs {
		passing[r.AllocID] = r.Status == nomadlike.ServiceStatusPassing
	}
	out := map[string]*nomadlike.AllocListStub{}
	for _, a := range allocs {
		if a.DesiredStatus == nomadlike.AllocDesiredStatusRun && a.ClientStatus == nomadlike.AllocClientStatusRunning && passing[a.ID] {
			out[a.ID] = a
		}
	}
	return out, nil
}

// healthySampler counts every 100 ms the job's healthy allocations
// (running and passing); the func it returns reports the fewest seen and
// the number of samples.
func healthySampler(ctx context.Context, t *testing.T, cl *api.Client, jobID, service string) func() (int, int) {
	t.Helper()
	return minSampler(ctx, t, func(ctx context.Context) (int, error) {
		h, err := healthyAllocs(ctx, cl, jobID, service)
		return len(h), err
	})
}

// waitHealthyVersion waits until n allocations of the job's version run
// with passing checks and serve version's page.
func waitHealthyVersion(ctx context.Context, t *testing.T, cl *api.Client, w svcWeb, jobVersion uint64, n int) {
	t.Helper()
	poll.UntilTrue(t, 90*time.Second, fmt.Sprintf("%d healthy allocations of version %d", n, jobVersion), func() bool {
		h, err := healthyAllocs(ctx, cl, w.id, w.id)
		if err != nil || len(h) != n {
			return false
		}
		for _, a := range h {
			if a.JobVersion != jobVersion {
				return false
			}
		}
		return true
	})
}

// TestServicesRollingUpdateAndRevert: a 3-allocation busybox service with
// an http check and health_check = "checks": a spec change rolls one
// allocation at a time, at least 2 running and passing at every 100 ms
// sample, and job run prints the deployment successful. Then a version
// whose check fails (404) with auto_revert fails its deployment, job run
// exits 1, and the job is back on the stable spec with 3 healthy
// allocations.
func TestServicesRollingUpdateAndRevert(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	a := startSvcAgent(t, 0)
	cl := a.api()
	v0 := svcWeb{id: "roll", version: "v0", path: "/", count: 3, update: svcUpdate}
	out := a.mustCLI(ctx, "job", "run", a.writeJob("v0", v0.hcl()))
	if !strings.Contains(out, "successful") {
		t.Fatalf("job run of version 0 did not follow its deployment to success:\n%s", out)
	}
	waitHealthyVersion(ctx, t, cl, v0, 0, 3)

	sample := healthySampler(ctx, t, cl, "roll", "roll")
	v1 := v0
	v1.version = "v1"
	out = a.mustCLI(ctx, "job", "run", a.writeJob("v1", v1.hcl()))
	fewest, samples := sample()
	if fewest < 2 || samples < 10 {
		t.Fatalf("during the rollout the fewest healthy allocations were %d over %d samples, want >= 2:\n%s", fewest, samples, out)
	}
	for _, want := range []string{"Monitoring deployment", "Healthy", `Deployment "`, "successful"} {
		if !strings.Contains(out, want) {
			t.Fatalf("job run output lacks %q:\n%s", want, out)
		}
	}
	if job := jobVersion(ctx, t, cl, "roll"); job.Version != 1 || !job.Stable {
		t.Fatalf("job = version %d stable %v, want version 1 stable", job.Version, job.Stable)
	}
	waitHealthyVersion(ctx, t, cl, v1, 1, 3)

	bad := v1
	bad.version, bad.path = "bad", "/missing"
	code, out := a.cli(ctx, "job", "run", a.writeJob("bad", bad.hcl()))
	if code != 1 || !strings.Contains(out, "failed") || !strings.Contains(out, "rolling back to job version 1") {
		t.Fatalf("job run of the failing version = exit %d, want 1 with the deployment failed and rolled back:\n%s", code, out)
	}
	d, _, err := cl.Jobs().LatestDeployment(ctx, "roll", nil)
	if err != nil || d == nil {
		t.Fatalf("latest deployment: %v", err)
	}
	deps, _, err := cl.Jobs().Deployments(ctx, "roll", nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := false
	for _, dd := range deps {
		failed = failed || (dd.JobVersion == 2 && dd.Status == nomadlike.DeploymentStatusFailed)
	}
	if !failed {
		t.Fatalf("no failed deployment of version 2 in %d deployments", len(deps))
	}
	job := jobVersion(ctx, t, cl, "roll")
	if job.Version != 3 || job.TaskGroups[0].Tasks[0].Env["VERSION"] != "v1" || job.TaskGroups[0].Services[0].Checks[0].Path != "/" {
		t.Fatalf("after the revert the job is version %d with VERSION %q, want version 3 on version 1's spec",
			job.Version, job.TaskGroups[0].Tasks[0].Env["VERSION"])
	}
	waitHealthyVersion(ctx, t, cl, v1, 3, 3)
}

// TestServicesCanaryPromote: canary = 1 with checks health places one new
// allocation beside the 3 old ones; once its check passes the deployment
// waits for promotion; job promote completes the rollout.
func TestServicesCanaryPromote(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	a := startSvcAgent(t, 0)
	cl := a.api()
	v0 := svcWeb{id: "can", version: "v0", path: "/", count: 3, update: svcUpdate + "\n      canary = 1"}
	a.mustCLI(ctx, "job", "run", a.writeJob("v0", v0.hcl()))
	waitHealthyVersion(ctx, t, cl, v0, 0, 3)
	v1 := v0
	v1.version = "v1"
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("v1", v1.hcl()))
	var dep *nomadlike.Deployment
	poll.UntilTrue(t, 90*time.Second, "a healthy canary", func() bool {
		d, _, err := cl.Jobs().LatestDeployment(ctx, "can", nil)
		dep = d
		return err == nil && d != nil && d.JobVersion == 1 && d.TaskGroups["web"].HealthyAllocs == 1
	})
	h, err := healthyAllocs(ctx, cl, "can", "can")
	if err != nil {
		t.Fatal(err)
	}
	byVersion := map[uint64]int{}
	for _, al := range h {
		byVersion[al.JobVersion]++
	}
	if byVersion[0] != 3 || byVersion[1] != 1 || dep.Status != nomadlike.DeploymentStatusRunning {
		t.Fatalf("before promotion: healthy allocations by version %v, deployment %s; want 3 old beside 1 canary, running", byVersion, dep.Status)
	}
	out := a.mustCLI(ctx, "job", "promote", "can")
	if !strings.Contains(out, "successful") {
		t.Fatalf("job promote did not follow the deployment to success:\n%s", out)
	}
	waitHealthyVersion(ctx, t, cl, v1, 1, 3)
}

// digSRV runs dig for name's SRV records at the agent's DNS port and
// returns the ports of the answer, sorted.
func digSRV(ctx context.Context, t *testing.T, port int, name string) []int {
	t.Helper()
	out, err := exec.CommandContext(ctx, "dig", "@127.0.0.1", "-p", strconv.Itoa(port), name, "SRV", "+short", "+time=2", "+tries=1").CombinedOutput()
	if err != nil {
		t.Logf("dig: %v: %s", err, out)
		return nil
	}
	var ports []int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line) // priority weight port target
		if len(f) == 4 {
			if p, err := strconv.Atoi(f[2]); err == nil {
				ports = append(ports, p)
			}
		}
	}
	sort.Ints(ports)
	return ports
}

// TestServicesDNSFollowsChecks: dig web.service.nomad SRV answers the
// passing instances; an instance whose check fails (its index.html
// removed from the alloc dir) leaves the dig answer and ?passing=true,
// and comes back when its page does.
func TestServicesDNSFollowsChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig not installed (bind9-dnsutils)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	dnsPort := portsTB(t, 1)[0]
	a := startSvcAgent(t, dnsPort)
	cl := a.api()
	w := svcWeb{id: "web", version: "v0", path: "/", count: 3}
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("web", w.hcl()))
	waitHealthyVersion(ctx, t, cl, w, 0, 3)
	regs, _, err := cl.Services().Get(ctx, "web", nil)
	if err != nil || len(regs) != 3 {
		t.Fatalf("catalog: %d instances, %v", len(regs), err)
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].Port < regs[j].Port })
	var all []int
	for _, r := range regs {
		all = append(all, r.Port)
	}
	dig := func() []int { return digSRV(ctx, t, dnsPort, "web.service.nomad") }
	poll.UntilTrue(t, 30*time.Second, fmt.Sprintf("dig answers %v", all), func() bool { return fmt.Sprint(dig()) == fmt.Sprint(all) })

	passingPorts := func() []int {
		regs, _, err := cl.Services().Get(ctx, "web", &api.QueryOptions{Params: map[string]string{"passing": "true"}})
		if err != nil {
			return nil
		}
		var ports []int
		for _, r := range regs {
			ports = append(ports, r.Port)
		}
		sort.Ints(ports)
		return ports
	}
	sick := regs[0]
	rest := fmt.Sprint(all[1:])
	index := filepath.Join(a.dataDir, "alloc", sick.AllocID, "httpd", "local", "www", "index.html")
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatalf("read the instance's page: %v", err)
	}
	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	poll.UntilTrue(t, 15*time.Second, "the failing instance leaves dig and ?passing=true", func() bool {
		return fmt.Sprint(dig()) == rest && fmt.Sprint(passingPorts()) == rest
	})
	t.Logf("the failing instance left the DNS answer after %v (check interval 1s)", time.Since(start).Round(10*time.Millisecond))
	if err := os.WriteFile(index, page, 0o644); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	poll.UntilTrue(t, 15*time.Second, "the fixed instance back in dig and ?passing=true", func() bool {
		return fmt.Sprint(dig()) == fmt.Sprint(all) && fmt.Sprint(passingPorts()) == fmt.Sprint(all)
	})
	t.Logf("the fixed instance was back after %v", time.Since(start).Round(10*time.Millisecond))
}

// lbServer is a server line of the haproxy config lb.nomad.hcl renders.
var lbServer = regexp.MustCompile(`(?m)^\s*server \S+ (\S+):(\d+) `)

// lbPorts returns the ports of the servers in the rendered haproxy config,
// sorted ("" when it is not rendered yet).
func lbPorts(cfgPath string) string {
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		return ""
	}
	var ports []int
	for _, m := range lbServer.FindAllStringSubmatch(string(b), -1) {
		p, _ := strconv.Atoi(m[2])
		ports = append(ports, p)
	}
	sort.Ints(ports)
	return fmt.Sprint(ports)
}

// catalogPorts returns the ports of the catalog's instances of service,
// sorted.
func catalogPorts(ctx context.Context, cl *api.Client, service string) string {
	regs, _, err := cl.Services().Get(ctx, service, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	var ports []int
	for _, r := range regs {
		ports = append(ports, r.Port)
	}
	sort.Ints(ports)
	return fmt.Sprint(ports)
}

// TestServicesLoadBalancer runs jobspecs/web.nomad.hcl (its deployment
// completes, with no warning) and jobspecs/lb.nomad.hcl, haproxy whose
// config a template renders from nomadService "web": requests through
// the lb port reach web; job scale web web 3 brings the new instance into
// the config, and a stopped allocation's instance leaves it.
func TestServicesLoadBalancer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err != nil {
		t.Skip("haproxy not installed (scripts/deps.sh)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	a := startSvcAgent(t, 0, "exec")
	cl := a.api()
	out := a.mustCLI(ctx, "job", "run", "../jobspecs/web.nomad.hcl")
	if !strings.Contains(out, "successful") || strings.Contains(strings.ToLower(out), "warning") {
		t.Fatalf("job run jobspecs/web.nomad.hcl: want its deployment successful and no warning:\n%s", out)
	}
	lbPort := portsTB(t, 1)[0]
	a.mustCLI(ctx, "job", "run", "-detach", "-var", "port="+strconv.Itoa(lbPort), "../jobspecs/lb.nomad.hcl")
	lb := a.waitOneAlloc(ctx, "lb", nomadlike.AllocClientStatusRunning)
	cfg := filepath.Join(a.dataDir, "alloc", lb.ID, "haproxy", "local", "haproxy.cfg")
	follows := func(what string, n int) string {
		t.Helper()
		var want string
		start := time.Now()
		poll.UntilTrue(t, 30*time.Second, what, func() bool {
			want = catalogPorts(ctx, cl, "web")
			return strings.Count(want, " ") == n-1 && lbPorts(cfg) == want
		})
		t.Logf("%s: after %v", what, time.Since(start).Round(10*time.Millisecond))
		return want
	}
	follows("the lb config lists the 2 web instances", 2)
	poll.UntilTrue(t, 30*time.Second, "a request through the lb reaches web", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", lbPort))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b := make([]byte, 512)
		n, _ := resp.Body.Read(b)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(b[:n]), "nomadlike web example")
	})

	a.mustCLI(ctx, "job", "scale", "-detach", "web", "web", "3")
	follows("the lb config lists the 3 web instances after job scale", 3)

	regs, _, err := cl.Services().Get(ctx, "web", nil)
	if err != nil || len(regs) == 0 {
		t.Fatalf("catalog: %v", err)
	}
	gone := regs[0]
	a.mustCLI(ctx, "alloc", "stop", "-detach", gone.AllocID)
	start := time.Now()
	poll.UntilTrue(t, 30*time.Second, fmt.Sprintf("port %d leaves the lb config", gone.Port), func() bool {
		return !strings.Contains(" "+strings.Trim(lbPorts(cfg), "[]")+" ", " "+strconv.Itoa(gone.Port)+" ")
	})
	t.Logf("the stopped instance left the lb config after %v", time.Since(start).Round(10*time.Millisecond))
	follows("the lb config lists the 3 instances after the replacement", 3)
	alloc, _, err := cl.Allocations().Info(ctx, lb.ID, nil)
	if err != nil || !hasEvent(alloc.TaskStates["haproxy"].Events, "Restart Signaled") {
		t.Fatalf("haproxy was never restarted by its template: %v", err)
	}
}
