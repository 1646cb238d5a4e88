package exec

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// BenchmarkStartTasks starts 100 `/bin/true` tasks at once, as the client
// does for a group of count 100, waits for each and destroys it: the exec
// driver's part of scripts/bench-count.sh, without the agent.
func BenchmarkStartTasks(b *testing.B) {
	if testing.Short() {
		b.Skip("starts real tasks")
	}
	requireRoot(b)
	n := 100
	if v, err := strconv.Atoi(os.Getenv("EXEC_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	if os.Getenv("EXEC_BENCH_INIT") != "" {
		// Compare with the re-executed init.
		threadStart = threadStartOff
		defer func() { threadStart = threadStartAuto }()
	}
	d := newTestDriver(b, nil)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfgs := make([]*drivers.TaskConfig, n)
		for j := range cfgs {
			cfgs[j] = newTaskConfig(b, fmt.Sprintf("t%d-%d", i, j), "", "/bin/true")
		}
		b.StartTimer()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		phases := make(chan [3]time.Duration, n)
		for _, cfg := range cfgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				if _, err := d.StartTask(cfg); err != nil {
					errs <- err
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				t1 := time.Now()
				res, err := d.WaitTask(ctx, cfg.ID)
				t2 := time.Now()
				if err == nil && res.ExitCode != 0 {
					err = fmt.Errorf("task %s: exit %d", cfg.ID, res.ExitCode)
				}
				if err == nil {
					err = d.DestroyTask(cfg.ID, false)
				}
				phases <- [3]time.Duration{t1.Sub(t0), t2.Sub(t1), time.Since(t2)}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(phases)
		var sum [3]time.Duration
		for p := range phases {
			for k := range sum {
				sum[k] += p[k]
			}
		}
		b.Logf("mean start %v wait %v destroy %v", sum[0]/time.Duration(n), sum[1]/time.Duration(n), sum[2]/time.Duration(n))
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tasks/s")
}
