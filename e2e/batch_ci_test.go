package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// batchCIJob is a raw_exec batch job of count shards running script (sh -c)
// with no restarts, and reschedule attempts reschedule (2s apart).
func batchCIJob(id string, count, reschedule int, script string) string {
	return fmt.Sprintf(`
job %q {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    count = %d
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts       = %d
      interval       = "1h"
      delay          = "2s"
      delay_function = "constant"
      unlimited      = false
    }
    task "t" {
      driver = "raw_exec"
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
`, id, count, reschedule, script)
}

// TestBatchCIWait drives a real dev agent as a CI script would: job run
// -wait exits 0 for a passing job and 3 for a job with a failing shard,
// naming the shard, its exit code and its stderr; a shard that fails once
// and succeeds on reschedule counts as a success (and alloc status shows
// the replacement's previous allocation and reschedule attempts); job
// rerun -failed runs only the failed shard; job wait -timeout exits 5.
func TestBatchCIWait(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := a.HTTPAddr()
	dir := t.TempDir() // host paths: raw_exec tasks run on the host
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		args = append([]string{args[0], args[1], "-address", "http://" + addr}, args[2:]...)
		code, out := runCLI(ctx, t, args...)
		if code != want {
			t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}

	t.Run("passing job exits 0", func(t *testing.T) {
		f := write("pass.hcl", batchCIJob("ci-pass", 3, 0, "echo shard $NOMAD_ALLOC_INDEX ok"))
		out := cli(0, "job", "run", "-wait", "-timeout", "2m", f)
		if !strings.Contains(out, `Job "ci-pass" succeeded: 3 of 3`) {
			t.Errorf("job run -wait output lacks the outcome:\n%s", out)
		}
		cli(0, "job", "plan", f) // a finished job's Outcome is no change of its spec
		if st := cli(0, "job", "status", "ci-pass"); !regexp.MustCompile(`Status\s+= dead \(succeeded: 3 of 3\)`).MatchString(st) {
			t.Errorf("job status lacks the outcome:\n%s", st)
		}
	})

	runs := filepath.Join(dir, "runs")
	fixed := filepath.Join(dir, "fixed")
	script := fmt.Sprintf(`echo $NOMAD_ALLOC_INDEX >> %s; if [ "$NOMAD_ALLOC_INDEX" = 1 ] && [ ! -e %s ]; then echo "boom in shard one" >&2; exit 7; fi; echo ok`, runs, fixed)
	failFile := write("fail.hcl", batchCIJob("ci-fail", 3, 0, script))
	t.Run("failing shard exits 3 and is named", func(t *testing.T) {
		out := cli(3, "job", "run", "-wait", "-timeout", "2m", failFile)
		for _, want := range []string{`Job "ci-fail" failed: 1 of 3`, "ci-fail.g[1]", "exit code 7", "boom in shard one"} {
			if !strings.Contains(out, want) {
				t.Errorf("job run -wait output lacks %q:\n%s", want, out)
			}
		}
		if st := cli(0, "job", "status", "ci-fail"); !regexp.MustCompile(`Status\s+= dead \(failed: 1 of 3\)`).MatchString(st) {
			t.Errorf("job status lacks the outcome:\n%s", st)
		}
		if out := cli(0, "job", "allocs", "-failed", "ci-fail"); strings.Count(out, " failed ") != 1 {
			t.Errorf("job allocs -failed lists other than the one failed allocation:\n%s", out)
		}
	})
	t.Run("job wait exits with the outcome", func(t *testing.T) {
		code, out := runCLI(ctx, t, "job", "wait", "-address", "http://"+addr, "ci-fail")
		if code != 3 || !strings.Contains(out, "boom in shard one") {
			t.Errorf("job wait ci-fail = exit %d, want 3 with the stderr:\n%s", code, out)
		}
	})
	t.Run("rerun -failed runs only the failed shard", func(t *testing.T) {
		write("fixed", "")
		out := cli(0, "job", "rerun", "-failed", "-wait", "-timeout", "2m", "ci-fail")
		if !strings.Contains(out, `Job "ci-fail" succeeded: 3 of 3`) {
			t.Errorf("job rerun -failed -wait output lacks the outcome:\n%s", out)
		}
		b, err := os.ReadFile(runs)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Fields(string(b))
		sort.Strings(got)
		if strings.Join(got, ",") != "0,1,1,2" {
			t.Errorf("shards run (host log) = %v, want 0, 1 twice, 2", got)
		}
		cli(0, "job", "plan", failFile)                           // the same file again: no change ...
		cli(0, "job", "run", "-wait", "-timeout", "1m", failFile) // ... and nothing reruns
		if b2, _ := os.ReadFile(runs); string(b2) != string(b) {
			t.Errorf("submitting the unchanged job after a rerun ran shards again: %q", b2)
		}
	})
	t.Run("fails once then succeeds on reschedule is a success", func(t *testing.T) {
		marker := filepath.Join(dir, "flaky")
		f := write("flaky.hcl", batchCIJob("ci-flaky", 2, 1,
			fmt.Sprintf(`if [ "$NOMAD_ALLOC_INDEX" = 0 ] && [ ! -e %s ]; then touch %s; echo flake >&2; exit 1; fi; echo ok`, marker, marker)))
		out := cli(0, "job", "run", "-wait", "-timeout", "2m", f)
		if !strings.Contains(out, `Job "ci-flaky" succeeded: 2 of 2`) {
			t.Errorf("job run -wait output lacks the outcome:\n%s", out)
		}
		st := cli(0, "job", "status", "-verbose", "ci-flaky")
		if !strings.Contains(st, "earlier") || strings.Count(st, "latest") != 2 {
			t.Errorf("job status does not mark the latest attempt of each index:\n%s", st)
		}
		allocs, _, err := a.client.Jobs().Allocations(ctx, "ci-flaky", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		var replacement string
		for _, al := range allocs {
			if al.Name == "ci-flaky.g[0]" && al.ClientStatus == "complete" {
				replacement = al.ID
			}
		}
		if replacement == "" {
			t.Fatalf("no completed replacement of index 0 among %d allocations", len(allocs))
		}
		as := cli(0, "alloc", "status", replacement)
		for _, want := range []string{"Previous Allocation", "Reschedule Attempts"} {
			if !regexp.MustCompile(want + `\s+= \S+`).MatchString(as) {
				t.Errorf("alloc status of the replacement lacks %q:\n%s", want, as)
			}
		}
	})
	t.Run("dispatch -wait exits with the child's outcome", func(t *testing.T) {
		job := strings.Replace(batchCIJob("ci-param", 1, 0, `echo "input $NOMAD_META_input" >&2; [ "$NOMAD_META_input" = good ]`),
			`type        = "batch"`, "type        = \"batch\"\n  parameterized {\n    meta_required = [\"input\"]\n  }", 1)
		cli(0, "job", "run", write("param.hcl", job))
		if out := cli(0, "job", "dispatch", "-wait", "-timeout", "1m", "-meta", "input=good", "ci-param"); !strings.Contains(out, "succeeded: 1 of 1") {
			t.Errorf("dispatch -wait output lacks the outcome:\n%s", out)
		}
		out := cli(3, "job", "dispatch", "-wait", "-timeout", "1m", "-meta", "input=bad", "ci-param")
		if !strings.Contains(out, "failed: 1 of 1") || !strings.Contains(out, "input bad") || !strings.Contains(out, "exit code 1") {
			t.Errorf("dispatch -wait output lacks the failure, its exit code and stderr:\n%s", out)
		}
		if st := cli(0, "job", "status", "ci-param"); !strings.Contains(st, "dead (failed: 1 of 1)") || !strings.Contains(st, "dead (succeeded: 1 of 1)") {
			t.Errorf("job status of the parent does not show its children's outcomes:\n%s", st)
		}
	})
	t.Run("timeout exits 5", func(t *testing.T) {
		f := write("slow.hcl", batchCIJob("ci-slow", 1, 0, "sleep 120"))
		cli(5, "job", "run", "-wait", "-timeout", "3s", f)
		cli(0, "job", "stop", "ci-slow")
		cli(4, "job", "wait", "-timeout", "1m", "ci-slow")
	})
}
