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
)

// depsJob is a raw_exec batch job running script once, with the job-level
// depends_on lines deps (nomadlike's extension).
func depsJob(id, deps, script string) string {
	return queueJobWith(id, 50, 32, deps, script)
}

// TestQueueJobDependsOnAgent runs nomadlike's job-level depends_on on a real
// dev agent: deploy waits (job status says for what) until build
// succeeded, then runs; with a failing build, deploy is skipped and job
// run -wait and job status report it; an unknown job is refused.
func TestQueueJobDependsOnAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := a.HTTPAddr()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	cli := queueCLI(ctx, t, "http://"+addr)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	span := func(job string) (started, stopped time.Time) {
		al := onlyAlloc(ctx, t, a, job)
		if ts := al.TaskStates["t"]; ts != nil {
			for _, e := range ts.Events {
				switch e.Type {
				case nomadlike.TaskEventStarted:
					started = time.Unix(0, e.Time)
				case nomadlike.TaskEventTerminated:
					stopped = time.Unix(0, e.Time)
				}
			}
		}
		return started, stopped
	}
	dep := func(job, cond string) string {
		return fmt.Sprintf("  depends_on {\n    job       = %q\n    condition = %q\n  }", job, cond)
	}

	t.Run("waits for success", func(t *testing.T) {
		release := filepath.Join(dir, "release-build")
		cli(0, "job", "run", "-detach", write("build.hcl", queueJob("build", 50, 32, fmt.Sprintf("while [ ! -e %s ]; do sleep 0.2; done", release))))
		cli(0, "job", "run", "-detach", write("deploy.hcl", depsJob("deploy", dep("build", "success"), "echo deployed")))
		poll.UntilTrue(t, 60*time.Second, "job status of deploy saying what it waits for", func() bool {
			return strings.Contains(cli(0, "job", "status", "deploy"), `waiting for job "build" (running) to finish with success`)
		})
		if allocs, _, _ := a.client.Jobs().Allocations(ctx, "deploy", false, nil); len(allocs) != 0 {
			t.Fatalf("deploy placed while build runs")
		}
		write("release-build", "")
		out := cli(0, "job", "wait", "-timeout", "2m", "deploy")
		if !strings.Contains(out, `Job "deploy" succeeded`) {
			t.Errorf("job wait deploy:\n%s", out)
		}
		_, buildDone := span("build")
		deployStart, _ := span("deploy")
		if buildDone.IsZero() || deployStart.Before(buildDone) {
			t.Errorf("deploy started at %s, before build finished at %s", deployStart, buildDone)
		}
	})
	t.Run("failed dependency skips", func(t *testing.T) {
		release := filepath.Join(dir, "release-fbuild")
		cli(0, "job", "run", "-detach", write("fbuild.hcl", queueJob("fbuild", 50, 32, fmt.Sprintf("while [ ! -e %s ]; do sleep 0.2; done; exit 2", release))))
		write("release-fbuild", "")
		out := cli(3, "job", "run", "-wait", "-timeout", "2m", write("fdeploy.hcl", depsJob("fdeploy", dep("fbuild", "success"), "echo deployed")))
		if !strings.Contains(out, `Job "fdeploy" skipped (dependency job "fbuild" failed)`) {
			t.Errorf("job run -wait output lacks the skip:\n%s", out)
		}
		if st := cli(0, "job", "status", "fdeploy"); !strings.Contains(st, `skipped (dependency job "fbuild" failed)`) {
			t.Errorf("job status lacks the skip:\n%s", st)
		}
		if allocs, _, _ := a.client.Jobs().Allocations(ctx, "fdeploy", false, nil); len(allocs) != 0 {
			t.Errorf("fdeploy was placed although fbuild failed")
		}
	})
	t.Run("unknown job refused", func(t *testing.T) {
		out := cli(1, "job", "run", "-detach", write("typo.hcl", depsJob("typo", dep("biuld", "success"), "true")))
		if !strings.Contains(out, `DependsOn[0].Job: job "biuld" does not exist`) {
			t.Errorf("job run of a job depending on an unknown job:\n%s", out)
		}
	})
}
