package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// pipelineCIJob is a raw_exec batch job build -> (test, lint) -> package
// (nomadlike's depends_on), no restarts or reschedules; lint runs lintScript.
func pipelineCIJob(id, lintScript string) string {
	group := func(name, deps, script string) string {
		return fmt.Sprintf(`
  group %q {
%s
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
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
`, name, deps, script)
	}
	dep := func(g string) string { return fmt.Sprintf("    depends_on {\n      group = %q\n    }\n", g) }
	return fmt.Sprintf("job %q {\n  datacenters = [\"dc1\"]\n  type = \"batch\"\n", id) +
		group("build", "", "sleep 1; echo built") +
		group("test", dep("build"), "sleep 1; echo tested") +
		group("lint", dep("build"), lintScript) +
		group("package", dep("test")+dep("lint"), "echo packaged") + "}\n"
}

// taskSpan is when the latest attempt of a group's task started and
// finished, from its task events (Started, Terminated).
type taskSpan struct {
	evalID           string
	started, stopped time.Time
}

// TestPipelineAgent runs a three-stage pipeline on a real dev agent: build,
// then test and lint placed together, then package, checked from the task
// events; with a failing lint, package is skipped, job run -wait exits 3
// and job status shows the pipeline.
func TestPipelineAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	addr := a.HTTPAddr()
	dir := t.TempDir()
	cli := func(want int, args ...string) string {
		t.Helper()
		args = append([]string{args[0], args[1], "-address", "http://" + addr}, args[2:]...)
		code, out := runCLI(ctx, t, args...)
		if code != want {
			t.Fatalf("nomadlike %s = exit %d, want %d:\n%s", strings.Join(args, " "), code, want, out)
		}
		return out
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	spans := func(job string) map[string]taskSpan {
		t.Helper()
		allocs, _, err := a.client.Jobs().Allocations(ctx, job, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]taskSpan{}
		latest := map[string]uint64{}
		for _, al := range allocs {
			if al.CreateIndex < latest[al.TaskGroup] {
				continue // an earlier attempt
			}
			latest[al.TaskGroup] = al.CreateIndex
			sp := taskSpan{evalID: al.EvalID}
			if ts := al.TaskStates["t"]; ts != nil {
				for _, e := range ts.Events {
					switch e.Type {
					case nomadlike.TaskEventStarted:
						sp.started = time.Unix(0, e.Time)
					case nomadlike.TaskEventTerminated:
						sp.stopped = time.Unix(0, e.Time)
					}
				}
			}
			out[al.TaskGroup] = sp
		}
		return out
	}

	t.Run("stages run in order", func(t *testing.T) {
		f := write("pass.hcl", pipelineCIJob("ci-pipe", "sleep 1; echo linted"))
		out := cli(0, "job", "run", "-wait", "-timeout", "2m", f)
		if !strings.Contains(out, `Job "ci-pipe" succeeded: 4 of 4`) {
			t.Errorf("job run -wait output lacks the outcome:\n%s", out)
		}
		if plan := cli(0, "job", "plan", f); !strings.Contains(plan, "- Pipeline: build, then test and lint, then package") {
			t.Errorf("job plan does not show the order:\n%s", plan)
		}
		s := spans("ci-pipe")
		for _, g := range []string{"build", "test", "lint", "package"} {
			if s[g].started.IsZero() || s[g].stopped.IsZero() {
				t.Fatalf("group %s has no Started and Terminated events: %+v", g, s)
			}
		}
		before := func(first, then string) {
			if s[then].started.Before(s[first].stopped) {
				t.Errorf("%s started at %s, before %s finished at %s", then, s[then].started, first, s[first].stopped)
			}
		}
		before("build", "test")
		before("build", "lint")
		before("test", "package")
		before("lint", "package")
		if s["test"].evalID != s["lint"].evalID {
			t.Errorf("test and lint were placed by different evaluations (%s, %s), not together", s["test"].evalID, s["lint"].evalID)
		}
		st := cli(0, "job", "status", "ci-pipe")
		if !regexp.MustCompile(`package\s+test \(success\), lint \(success\)\s+succeeded`).MatchString(st) {
			t.Errorf("job status lacks the pipeline:\n%s", st)
		}
	})
	t.Run("failing lint skips package", func(t *testing.T) {
		lint := fmt.Sprintf("if [ ! -e %s ]; then echo lint error >&2; exit 4; fi; echo linted", filepath.Join(dir, "lint-fixed"))
		out := cli(3, "job", "run", "-wait", "-timeout", "2m", write("fail.hcl", pipelineCIJob("ci-pipe-fail", lint)))
		for _, want := range []string{`Job "ci-pipe-fail" failed: 2 of 4`, `ci-pipe-fail.package[0]: skipped (dependency "lint" failed)`, "lint error"} {
			if !strings.Contains(out, want) {
				t.Errorf("job run -wait output lacks %q:\n%s", want, out)
			}
		}
		if _, ok := spans("ci-pipe-fail")["package"]; ok {
			t.Error("package was placed although lint failed")
		}
		st := cli(0, "job", "status", "ci-pipe-fail")
		if !strings.Contains(st, `skipped (dependency "lint" failed)`) {
			t.Errorf("job status does not show package skipped:\n%s", st)
		}
	})
	t.Run("rerun -failed runs lint then package, not build", func(t *testing.T) {
		buildStarted := spans("ci-pipe-fail")["build"].started
		write("lint-fixed", "")
		out := cli(0, "job", "rerun", "-failed", "-wait", "-timeout", "2m", "ci-pipe-fail")
		if !strings.Contains(out, `Job "ci-pipe-fail" succeeded: 4 of 4`) {
			t.Errorf("job rerun -failed -wait output lacks the outcome:\n%s", out)
		}
		s := spans("ci-pipe-fail")
		if !s["build"].started.Equal(buildStarted) {
			t.Errorf("build ran again (started %s, first run %s)", s["build"].started, buildStarted)
		}
		if s["package"].started.Before(s["lint"].stopped) {
			t.Errorf("package started at %s, before the rerun lint finished at %s", s["package"].started, s["lint"].stopped)
		}
	})
}
