package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// BenchmarkClusterRealTasks is workload 5: real tasks, not simulated: one
// server and two real client agents run 2,000 /bin/true tasks across 20
// batch jobs, with the exec driver (namespaces, chroot, cgroups) and with
// raw_exec; timed until every allocation is complete, with the client
// agents' peak memory (agent process, and its driver plugins).
func BenchmarkClusterRealTasks(b *testing.B) {
	for _, driver := range []string{"exec", "raw_exec"} {
		b.Run(driver, func(b *testing.B) { benchRealTasks(b, driver) })
	}
}

func benchRealTasks(b *testing.B, driver string) {
	scale := benchScale(b)
	jobs, count := 20, scaled(100, scale)
	for i := 0; i < b.N; i++ {
		c := newFaultCluster(b, clusterOptions{servers: 1, clients: 2, logLevel: "WARN"})
		cl := benchAPI(b, c.servers[0].HTTPAddr())
		var js []*nomadlike.Job
		for j := 0; j < jobs; j++ {
			job := benchJob(fmt.Sprintf("real-%d", j), nomadlike.JobTypeBatch, count, 10, 10, "")
			job.TaskGroups[0].Tasks[0].Driver = driver
			js = append(js, job)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		start := time.Now()
		if _, err := submitOnly(ctx, cl, js, 4); err != nil {
			cancel()
			b.Fatal(err)
		}
		for {
			complete, failed := 0, 0
			for _, j := range js {
				s, _, err := cl.Jobs().Summary(ctx, j.ID, nil)
				if err != nil {
					cancel()
					b.Fatalf("summary %s: %v", j.ID, err)
				}
				for _, tg := range s.Summary {
					complete += tg.Complete
					failed += tg.Failed
				}
			}
			if failed > 0 {
				cancel()
				b.Fatalf("%d real tasks failed", failed)
			}
			if complete >= jobs*count {
				break
			}
			if !sleepCtx(ctx, 200*time.Millisecond) {
				cancel()
				b.Fatalf("only %d of %d allocations complete before the deadline", complete, jobs*count)
			}
		}
		wall := time.Since(start)
		cancel()
		var agentKB, pluginKB int64
		for _, a := range c.clients {
			hwm, err := procStatusKB(a.PID(), "VmHWM")
			if err != nil {
				b.Fatal(err)
			}
			agentKB = max(agentKB, hwm)
			for _, p := range descendants(a.PID()) {
				if h, err := procStatusKB(p, "VmHWM"); err == nil {
					pluginKB = max(pluginKB, h)
				}
			}
		}
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(float64(jobs*count)/wall.Seconds(), "tasks/s")
		b.ReportMetric(float64(agentKB)/1024, "client_agent_MiB")
		b.ReportMetric(float64(pluginKB)/1024, "driver_plugin_MiB")
		b.Logf("real tasks: %d %s tasks in %d batch jobs on 2 client agents complete after %v (%.0f tasks/s); "+
			"peak RSS: client agent %s, driver plugin %s", jobs*count, driver, jobs, wall.Round(time.Millisecond),
			float64(jobs*count)/wall.Seconds(), mib(agentKB), mib(pluginKB))
	}
}
