package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// deployJob is a raw_exec service job of 3 allocations with a rolling
// update block (max_parallel = 1, manual health: the test's operator
// marks allocations healthy once they ran a second). version changes the
// task's environment (a destructive update); script is what it runs.
func deployJob(id, version, script, extraUpdate string) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  group "web" {
    count = 3
    update {
      max_parallel      = 1
      health_check      = "manual"
      min_healthy_time  = "1s"
      healthy_deadline  = "1m"
      progress_deadline = "2m"
%s
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "app" {
      driver = "raw_exec"
      env {
        VERSION = %q
      }
      config {
        command = "/bin/sh"
        args    = ["-c", %q]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, extraUpdate, version, script)
}

// healthOperator plays the operator of health_check = "manual": every
// 100 ms it marks healthy the allocations of the job's running deployment
// that have been running for a second (a task that exits at once never
// is). clientOf returns a client of a live server (failover tests).
func healthOperator(ctx context.Context, t *testing.T, clientOf func() *api.Client, jobID string) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(wg.Wait)
	go func() {
		defer wg.Done()
		seen := map[string]time.Time{}
		for ctx.Err() == nil {
			markRunningHealthy(ctx, clientOf(), jobID, seen)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

func markRunningHealthy(ctx context.Context, cl *api.Client, jobID string, seen map[string]time.Time) {
	d, _, err := cl.Jobs().LatestDeployment(ctx, jobID, nil)
	if err != nil || d == nil || d.Status != nomadlike.DeploymentStatusRunning {
		return
	}
	allocs, _, err := cl.Deployments().Allocations(ctx, d.ID, nil)
	if err != nil {
		return
	}
	var ready []string
	for _, a := range allocs {
		if a.ClientStatus != nomadlike.AllocClientStatusRunning || a.DesiredStatus != nomadlike.AllocDesiredStatusRun ||
			(a.DeploymentStatus != nil && a.DeploymentStatus.Healthy != nil) {
			continue
		}
		first, ok := seen[a.ID]
		if !ok {
			seen[a.ID] = time.Now()
			continue
		}
		if time.Since(first) >= time.Second {
			ready = append(ready, a.ID)
		}
	}
	if len(ready) > 0 {
		_, _ = cl.Deployments().SetAllocHealth(ctx, d.ID, ready, nil, nil)
	}
}

// runningSampler samples every 100 ms how many of the job's allocations
// run (desired run, client running) and returns a func reporting the
// fewest seen and the number of samples since it started.
func runningSampler(ctx context.Context, t *testing.T, clientOf func() *api.Client, jobID string) func() (int, int) {
	t.Helper()
	return minSampler(ctx, t, func(ctx context.Context) (int, error) {
		allocs, _, err := clientOf().Jobs().Allocations(ctx, jobID, false, nil)
		n := 0
		for _, a := range allocs {
			if a.DesiredStatus == nomadlike.AllocDesiredStatusRun && a.ClientStatus == nomadlike.AllocClientStatusRunning {
				n++
			}
		}
		return n, err
	})
}

// minSampler calls count every 100 ms until the test ends and returns a
// func reporting the fewest it counted (errors skipped) and the number of
// samples.
func minSampler(ctx context.Context, t *testing.T, count func(context.Context) (int, error)) func() (int, int) {
	t.Helper()
	var mu sync.Mutex
	fewest, samples := 1<<30, 0
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	go func() {
		defer wg.Done()
		for sctx.Err() == nil {
			if n, err := count(sctx); err == nil {
				mu.Lock()
				fewest, samples = min(fewest, n), samples+1
				mu.Unlock()
			}
			select {
			case <-sctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return fewest, samples
	}
}

func writeJobFile(t *testing.T, dir, name, hcl string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// deployCLI runs the CLI against addr and checks its exit code.
func deployCLI(ctx context.Context, t *testing.T, addr string, want int, args ...string) string {
	t.Helper()
	args = append([]string{args[0], args[1], "-address", "http://" + addr}, args[2:]...)
	code, out := runCLI(ctx, t, args...)
	if code != want {
		t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
	}
	return out
}

func jobVersion(ctx context.Context, t *testing.T, cl *api.Client, id string) *nomadlike.Job {
	t.Helper()
	job, _, err := cl.Jobs().Info(ctx, id, nil)
	if err != nil {
		t.Fatalf("read job %q: %v", id, err)
	}
	return job
}

// TestDeployRollingUpdateAgent: on a real agent, a spec change of a
// 3-allocation service rolls one allocation at a time: at least 2 run at
// every 100 ms sample, job run follows the deployment to "successful" and
// the version is stable. A bad version (its task exits at once) with
// auto_revert fails its deployment, job run exits 1, and the job is back
// on the stable spec with running allocations.
func TestDeployRollingUpdateAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr, cl := a.HTTPAddr(), a.client
	clientOf := func() *api.Client { return cl }
	dir := t.TempDir()
	healthOperator(ctx, t, clientOf, "roll")

	good := "exec sleep 1000"
	out := deployCLI(ctx, t, addr, 0, "job", "run", writeJobFile(t, dir, "v0.hcl", deployJob("roll", "v0", good, "auto_revert = true")))
	if !strings.Contains(out, "successful") {
		t.Fatalf("job run of version 0 did not follow its deployment:\n%s", out)
	}
	sample := runningSampler(ctx, t, clientOf, "roll")
	out = deployCLI(ctx, t, addr, 0, "job", "run", writeJobFile(t, dir, "v1.hcl", deployJob("roll", "v1", good, "auto_revert = true")))
	fewest, samples := sample()
	if fewest < 2 || samples < 10 {
		t.Fatalf("during the rollout the fewest running allocations were %d over %d samples, want >= 2", fewest, samples)
	}
	for _, want := range []string{"Monitoring deployment", "Desired", "Progress Deadline", "successful"} {
		if !strings.Contains(out, want) {
			t.Fatalf("job run output lacks %q:\n%s", want, out)
		}
	}
	if job := jobVersion(ctx, t, cl, "roll"); job.Version != 1 || !job.Stable {
		t.Fatalf("job = version %d stable %v, want version 1 stable", job.Version, job.Stable)
	}
	if hist := deployCLI(ctx, t, addr, 0, "job", "history", "roll"); !strings.Contains(hist, "Stable") {
		t.Fatalf("job history:\n%s", hist)
	}

	// A bad version: auto_revert brings version 1's spec back.
	out = deployCLI(ctx, t, addr, 1, "job", "run", writeJobFile(t, dir, "bad.hcl", deployJob("roll", "bad", "exit 1", "auto_revert = true")))
	if !strings.Contains(out, "rolling back to job version 1") {
		t.Fatalf("job run of the bad version:\n%s", out)
	}
	a.waitForCond(ctx, t, "reverted job with 3 running allocations", func() bool {
		job := jobVersion(ctx, t, cl, "roll")
		if job.Version != 3 || job.TaskGroups[0].Tasks[0].Env["VERSION"] != "v1" {
			return false
		}
		allocs, _, err := cl.Jobs().Allocations(ctx, "roll", false, nil)
		n := 0
		for _, al := range allocs {
			if err == nil && al.JobVersion == 3 && al.ClientStatus == nomadlike.AllocClientStatusRunning && al.DesiredStatus == nomadlike.AllocDesiredStatusRun {
				n++
			}
		}
		return n == 3
	})
	status := deployCLI(ctx, t, addr, 0, "job", "status", "roll")
	if !strings.Contains(status, "Latest Deployment") {
		t.Fatalf("job status lacks the latest deployment:\n%s", status)
	}
}

// TestDeployCanaryPromoteAgent: canary = 1 places one new allocation
// beside the 3 old ones and nothing else until job promote; then the
// rollout completes.
func TestDeployCanaryPromoteAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr, cl := a.HTTPAddr(), a.client
	dir := t.TempDir()
	healthOperator(ctx, t, func() *api.Client { return cl }, "can")
	deployCLI(ctx, t, addr, 0, "job", "run", writeJobFile(t, dir, "v0.hcl", deployJob("can", "v0", "exec sleep 1000", "canary = 1")))
	deployCLI(ctx, t, addr, 0, "job", "run", "-detach", writeJobFile(t, dir, "v1.hcl", deployJob("can", "v1", "exec sleep 1000", "canary = 1")))
	var dep *nomadlike.Deployment
	a.waitForCond(ctx, t, "a healthy canary", func() bool {
		d, _, err := cl.Jobs().LatestDeployment(ctx, "can", nil)
		dep = d
		return err == nil && d != nil && d.JobVersion == 1 && d.TaskGroups["web"].HealthyAllocs == 1
	})
	allocs, _, _ := cl.Jobs().Allocations(ctx, "can", false, nil)
	byVersion := map[uint64]int{}
	for _, al := range allocs {
		if al.DesiredStatus == nomadlike.AllocDesiredStatusRun {
			byVersion[al.JobVersion]++
		}
	}
	if byVersion[0] != 3 || byVersion[1] != 1 || dep.Status != nomadlike.DeploymentStatusRunning {
		t.Fatalf("before promotion: allocations by version %v, deployment %s; want 3 old beside 1 canary, running", byVersion, dep.Status)
	}
	status := deployCLI(ctx, t, addr, 0, "deployment", "status", dep.ID[:8])
	if !strings.Contains(status, "requires manual promotion") || !strings.Contains(status, "Canaries") {
		t.Fatalf("deployment status:\n%s", status)
	}
	out := deployCLI(ctx, t, addr, 0, "job", "promote", "can")
	if !strings.Contains(out, "successful") {
		t.Fatalf("job promote did not follow the deployment to success:\n%s", out)
	}
	if job := jobVersion(ctx, t, cl, "can"); !job.Stable {
		t.Fatal("job version 1 not stable after the promoted deployment")
	}
	if list := deployCLI(ctx, t, addr, 0, "deployment", "list"); strings.Count(list, "Deployment completed successfully") != 2 {
		t.Fatalf("deployment list:\n%s", list)
	}
}

// waitForCond polls cond for up to 120 s (failing at once when ctx ends).
func (a *devAgent) waitForCond(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.UntilTrue(t, 120*time.Second, what, func() bool {
		if ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
		return cond()
	})
}
