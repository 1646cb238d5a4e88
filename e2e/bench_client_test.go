package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// Client and driver benchmarks on one agent (server and client in one
// process, as `agent -dev`), through the HTTP API. Latencies are measured
// from the register call to the moment a blocking query on the job's
// allocations returns them in the wanted client status. Run with
//
//	go test ./e2e -run '^$' -bench 'BenchmarkClient|BenchmarkContainerd' -benchtime 100x
//
// (-benchtime sets the number of samples of the latency benchmarks; the
// throughput ones run once per b.N). Results go to BENCHMARKS.md.

// benchLogLevel is the agents' log level in benchmarks (logging at DEBUG
// costs time per task).
func benchLogLevel() string {
	if l := os.Getenv("NOMADLIKE_BENCH_LOG_LEVEL"); l != "" {
		return l
	}
	return "WARN"
}

// parseJob parses an HCL job.
func parseJob(tb testing.TB, src string) *nomadlike.Job {
	tb.Helper()
	job, err := jobspec.Parse("bench.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
	if err != nil {
		tb.Fatalf("parse job: %v\n%s", err, src)
	}
	return job
}

// batchJobHCL is a batch job of count tasks of driver running command.
// Ephemeral disk and logs are small so that a thousand fit on one node.
func batchJobHCL(id, typ, driver string, count int, config string) string {
	return fmt.Sprintf(`job %q {
  type        = %q
  datacenters = ["*"]
  group "g" {
    count = %d
    ephemeral_disk {
      size = 10
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = %q
      config {
%s
      }
      logs {
        max_files     = 1
        max_file_size = 1
      }
      resources {
        cpu    = 1
        memory = 10
      }
    }
  }
}
`, id, typ, count, driver, config)
}

// waitJobAllocs blocks on the job's allocations until cond holds, and
// returns when it did.
func waitJobAllocs(ctx context.Context, cl *api.Client, jobID string, cond func([]*nomadlike.AllocListStub) (bool, error)) (time.Time, error) {
	var index uint64
	for {
		allocs, meta, err := cl.Jobs().Allocations(ctx, jobID, false, &api.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second})
		if err != nil {
			return time.Time{}, err
		}
		now := time.Now()
		ok, err := cond(allocs)
		if err != nil || ok {
			return now, err
		}
		index = meta.LastIndex
	}
}

// allInStatus is a condition: n allocations, all with status; failed
// allocations are an error.
func allInStatus(n int, status string) func([]*nomadlike.AllocListStub) (bool, error) {
	return func(l []*nomadlike.AllocListStub) (bool, error) {
		count := 0
		for _, a := range l {
			if a.ClientStatus == nomadlike.AllocClientStatusFailed {
				return false, fmt.Errorf("allocation %s failed: %s %s", a.ID, a.ClientDescription, describeAllocs([]*nomadlike.AllocListStub{a}))
			}
			if a.ClientStatus == status {
				count++
			}
		}
		return count == n, nil
	}
}

// latencySamples collects durations and reports percentiles.
type latencySamples []time.Duration

func (l latencySamples) pct(p float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (l latencySamples) report(b *testing.B, name string) {
	b.ReportMetric(float64(l.pct(0.5).Microseconds())/1000, name+"_p50_ms")
	b.ReportMetric(float64(l.pct(0.99).Microseconds())/1000, name+"_p99_ms")
	b.Logf("%s over %d runs: p50 %v, p99 %v, max %v", name, len(l), l.pct(0.5).Round(100*time.Microsecond),
		l.pct(0.99).Round(100*time.Microsecond), l.pct(1).Round(100*time.Microsecond))
}

// BenchmarkClientOneTask: submit-to-running (a sleeping task) and
// submit-to-complete (/bin/true) of a one-task batch job, per driver.
func BenchmarkClientOneTask(b *testing.B) {
	for _, driver := range []string{"exec", "raw_exec"} {
		b.Run(driver, func(b *testing.B) {
			a := startDevAgent(b, devAgentOptions{logLevel: benchLogLevel()}, "exec", "raw_exec")
			cl := a.api()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			var running, complete latencySamples
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Running: a task that stays up until the job is stopped.
				id := fmt.Sprintf("run-%d", i)
				job := parseJob(b, batchJobHCL(id, "batch", driver, 1, `        command = "/bin/sleep"
        args    = ["3600"]`))
				start := time.Now()
				if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
					b.Fatal(err)
				}
				at, err := waitJobAllocs(ctx, cl, id, allInStatus(1, nomadlike.AllocClientStatusRunning))
				if err != nil {
					b.Fatal(err)
				}
				running = append(running, at.Sub(start))
				b.StopTimer()
				if _, _, err := cl.Jobs().Deregister(ctx, id, false, nil); err != nil {
					b.Fatal(err)
				}
				if _, err := waitJobAllocs(ctx, cl, id, func(l []*nomadlike.AllocListStub) (bool, error) {
					return len(l) == 1 && l[0].ClientStatus != nomadlike.AllocClientStatusRunning &&
						l[0].ClientStatus != nomadlike.AllocClientStatusPending, nil
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()

				// Complete: /bin/true.
				id = fmt.Sprintf("true-%d", i)
				job = parseJob(b, batchJobHCL(id, "batch", driver, 1, `        command = "/bin/true"`))
				start = time.Now()
				if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
					b.Fatal(err)
				}
				at, err = waitJobAllocs(ctx, cl, id, allInStatus(1, nomadlike.AllocClientStatusComplete))
				if err != nil {
					b.Fatal(err)
				}
				complete = append(complete, at.Sub(start))
			}
			b.StopTimer()
			running.report(b, "submit_to_running")
			complete.report(b, "submit_to_complete")
		})
	}
}

// BenchmarkClientBatchCount: one batch job of count /bin/true tasks, from
// the register call until every allocation is complete.
func BenchmarkClientBatchCount(b *testing.B) {
	for _, driver := range []string{"exec", "raw_exec"} {
		for _, count := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/count=%d", driver, count), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					a := startDevAgent(b, devAgentOptions{logLevel: benchLogLevel()}, "exec", "raw_exec")
					cl := a.api()
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
					id := fmt.Sprintf("batch-%d", count)
					job := parseJob(b, batchJobHCL(id, "batch", driver, count, `        command = "/bin/true"`))
					b.StartTimer()
					start := time.Now()
					if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
						cancel()
						b.Fatal(err)
					}
					at, err := waitJobAllocs(ctx, cl, id, allInStatus(count, nomadlike.AllocClientStatusComplete))
					cancel()
					if err != nil {
						b.Fatal(err)
					}
					wall := at.Sub(start)
					b.ReportMetric(wall.Seconds(), "wall_s")
					b.ReportMetric(float64(count)/wall.Seconds(), "tasks/s")
					b.Logf("%s: %d /bin/true tasks complete %v after the register call (%.0f tasks/s)", driver, count,
						wall.Round(time.Millisecond), float64(count)/wall.Seconds())
					b.StopTimer()
					a.stopAll()
					b.StartTimer()
				}
			})
		}
	}
}

// procTree returns the agent's descendant processes (driver plugins, tasks
// and whatever helpers they run) with their RSS in KiB.
func procTree(root int) map[int]int64 {
	out := map[int]int64{}
	for _, pid := range descendants(root) {
		if kb, err := procStatusKB(pid, "VmRSS"); err == nil {
			out[pid] = kb
		}
	}
	return out
}

// BenchmarkClientPerTaskCost: the processes and memory a running task
// costs on the node beyond the task's own process: the agent's
// descendants and the RSS of the agent and of the plugins, with no task
// and with n running sleep tasks.
func BenchmarkClientPerTaskCost(b *testing.B) {
	const n = 50
	for _, driver := range []string{"exec", "raw_exec"} {
		b.Run(driver, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				a := startDevAgent(b, devAgentOptions{logLevel: benchLogLevel()}, "exec", "raw_exec")
				cl := a.api()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				// Let the agent settle, then measure it idle.
				idle := measureAgent(a.PID(), nil)
				marker := strconv.Itoa(500000 + os.Getpid()%100000)
				id := "sleepers"
				job := parseJob(b, batchJobHCL(id, "service", driver, n, fmt.Sprintf(`        command = "/bin/sleep"
        args    = [%q]`, marker)))
				if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
					cancel()
					b.Fatal(err)
				}
				if _, err := waitJobAllocs(ctx, cl, id, allInStatus(n, nomadlike.AllocClientStatusRunning)); err != nil {
					cancel()
					b.Fatal(err)
				}
				cancel()
				tasks := append(pidsWithArgs("/bin/sleep", marker), pidsWithArgs("sleep", marker)...)
				if len(tasks) != n {
					b.Fatalf("found %d task processes, want %d", len(tasks), n)
				}
				busy := measureAgent(a.PID(), tasks)
				helpers := float64(busy.procs-idle.procs-n) / n
				rssPerTask := float64(busy.rssKB-idle.rssKB) / n
				b.ReportMetric(float64(idle.procs), "idle_procs")
				b.ReportMetric(helpers, "helper_procs/task")
				b.ReportMetric(rssPerTask, "agent+plugins_KiB/task")
				b.ReportMetric(float64(busy.taskKB)/n, "task_KiB/task")
				b.Logf("%s: idle: %d processes below the agent, agent+plugins RSS %s; with %d sleep tasks: %d processes "+
					"(%.2f helpers per task), agent+plugins RSS %s (+%.0f KiB per task), helpers' RSS %s, task processes' RSS %s",
					driver, idle.procs, mib(idle.rssKB), n, busy.procs, helpers, mib(busy.rssKB), rssPerTask,
					mib(busy.helperKB), mib(busy.taskKB))
				for _, d := range busy.helperNames {
					b.Logf("  helper: %s", d)
				}
				a.stopAll()
			}
		})
	}
}

type agentFootprint struct {
	procs       int   // processes below the agent (plugins, tasks, helpers)
	rssKB       int64 // agent and its plugins (not tasks or helpers)
	helperKB    int64 // processes that are neither plugins nor tasks
	taskKB      int64 // the task processes
	helperNames []string
}

// measureAgent sums what runs below the agent. tasks are the task
// processes; the plugins are the agent's direct children running as
// "driver NAME".
func measureAgent(agent int, tasks []int) agentFootprint {
	var f agentFootprint
	isTask := map[int]bool{}
	for _, p := range tasks {
		isTask[p] = true
	}
	if kb, err := procStatusKB(agent, "VmRSS"); err == nil {
		f.rssKB += kb
	}
	names := map[string]int{}
	for pid, kb := range procTree(agent) {
		f.procs++
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		switch {
		case isTask[pid]:
			f.taskKB += kb
		case len(args) >= 2 && args[1] == "driver":
			f.rssKB += kb
		default:
			f.helperKB += kb
			names[filepath.Base(args[0])+" "+strings.Join(args[1:], " ")]++
		}
	}
	for name, c := range names {
		f.helperNames = append(f.helperNames, fmt.Sprintf("%d × %s", c, name))
	}
	slices.Sort(f.helperNames)
	return f
}

// BenchmarkContainerdSubmitToRunning: submit-to-running of a one-task
// containerd job whose image is already imported.
func BenchmarkContainerdSubmitToRunning(b *testing.B) {
	e := startContainerdEnv(b, benchLogLevel())
	cl := e.agent.api()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cfg := fmt.Sprintf(`        image         = %q
        image_archive = %q
        command       = "sleep"
        args          = ["3600"]`, ctrdImage, e.archive)
	// Import the image once.
	warm := parseJob(b, batchJobHCL("warm", "batch", "containerd", 1, fmt.Sprintf(`        image         = %q
        image_archive = %q
        command       = "true"`, ctrdImage, e.archive)))
	if _, _, err := cl.Jobs().Register(ctx, warm, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := waitJobAllocs(ctx, cl, "warm", allInStatus(1, nomadlike.AllocClientStatusComplete)); err != nil {
		b.Fatal(err)
	}
	var running latencySamples
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("ctr-%d", i)
		job := parseJob(b, batchJobHCL(id, "batch", "containerd", 1, cfg))
		start := time.Now()
		if _, _, err := cl.Jobs().Register(ctx, job, nil); err != nil {
			b.Fatal(err)
		}
		at, err := waitJobAllocs(ctx, cl, id, allInStatus(1, nomadlike.AllocClientStatusRunning))
		if err != nil {
			b.Fatal(err)
		}
		running = append(running, at.Sub(start))
		b.StopTimer()
		if _, _, err := cl.Jobs().Deregister(ctx, id, false, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := waitJobAllocs(ctx, cl, id, func(l []*nomadlike.AllocListStub) (bool, error) {
			return len(l) == 1 && l[0].ClientStatus != nomadlike.AllocClientStatusRunning &&
				l[0].ClientStatus != nomadlike.AllocClientStatusPending, nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	running.report(b, "submit_to_running")
}
