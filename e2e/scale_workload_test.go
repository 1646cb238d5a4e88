package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// benchScale is the factor the cluster benchmarks scale their node, job and
// allocation counts by: NOMADLIKE_BENCH_SCALE (1 by default), so a workload
// can be tried small first (NOMADLIKE_BENCH_SCALE=0.1).
func benchScale(tb testing.TB) float64 {
	s := os.Getenv("NOMADLIKE_BENCH_SCALE")
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		tb.Fatalf("NOMADLIKE_BENCH_SCALE=%q: want a positive number", s)
	}
	return f
}

// scaled returns n scaled, at least 1.
func scaled(n int, scale float64) int { return max(1, int(float64(n)*scale+0.5)) }

// benchJob returns a canonical job of one group of count copies of one
// exec task asking for cpu MHz and mem MB, constrained to the node class
// when class is set.
func benchJob(id, typ string, count, cpu, mem int, class string) *nomadlike.Job {
	j := &nomadlike.Job{
		ID: id, Name: id, Type: typ, Datacenters: []string{"dc1"},
		TaskGroups: []*nomadlike.TaskGroup{{
			Name: "g", Count: count,
			EphemeralDisk: &nomadlike.EphemeralDisk{SizeMB: 10},
			Tasks: []*nomadlike.Task{{
				Name: "t", Driver: "exec",
				Config:    map[string]any{"command": "/bin/true"},
				Resources: &nomadlike.Resources{CPU: cpu, MemoryMB: mem},
				LogConfig: &nomadlike.LogConfig{MaxFiles: 1, MaxFileSizeMB: 5},
			}},
		}},
	}
	if class != "" {
		j.Constraints = []*nomadlike.Constraint{{LTarget: "${node.class}", RTarget: class, Operand: "="}}
	}
	j.Canonicalize()
	return j
}

// placed counts a summary's placed allocations (in any client state).
func placed(s *nomadlike.JobSummary) (placed, queued int) {
	for _, tg := range s.Summary {
		placed += tg.Starting + tg.Running + tg.Complete + tg.Failed + tg.Lost + tg.Unknown
		queued += tg.Queued
	}
	return placed, queued
}

// waitJobPlaced follows the job's summary with blocking queries until count
// allocations are placed, and returns when it saw that.
func waitJobPlaced(ctx context.Context, c *api.Client, jobID string, count int) (time.Time, error) {
	var index uint64
	for {
		s, qm, err := c.Jobs().Summary(ctx, jobID, &api.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second})
		if err != nil {
			if ctx.Err() != nil {
				return time.Time{}, fmt.Errorf("job %s: %w", jobID, ctx.Err())
			}
			if !errors.Is(err, api.ErrNotFound) {
				return time.Time{}, fmt.Errorf("summary of job %s: %w", jobID, err)
			}
			// Not there yet on the server that answered; retry.
			if !sleepCtx(ctx, 50*time.Millisecond) {
				return time.Time{}, ctx.Err()
			}
			continue
		}
		if p, _ := placed(s); p >= count {
			return time.Now(), nil
		}
		index = qm.LastIndex
	}
}

// sleepCtx waits d unless ctx ends first; it reports whether ctx is live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jobRun is one job of a workload: when it was submitted, when the servers
// acknowledged it, and when all its allocations were placed.
type jobRun struct {
	job                   *nomadlike.Job
	submit, acked, placed time.Time
}

// submitAll registers jobs with workers concurrent writers, as fast as the
// API takes them, and for each one starts a watcher that records when all
// of its allocations are placed. It returns when every job is placed.
func submitAll(ctx context.Context, c *api.Client, jobs []*nomadlike.Job, workers int) ([]*jobRun, error) {
	runs := make([]*jobRun, len(jobs))
	for i, j := range jobs {
		runs[i] = &jobRun{job: j}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg, watchers sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) || ctx.Err() != nil {
					return
				}
				r := runs[i]
				r.submit = time.Now()
				if _, _, err := c.Jobs().Register(ctx, r.job, nil); err != nil {
					cancel(fmt.Errorf("register job %s: %w", r.job.ID, err))
					return
				}
				r.acked = time.Now()
				watchers.Add(1)
				go func() {
					defer watchers.Done()
					at, err := waitJobPlaced(ctx, c, r.job.ID, r.job.TotalCount())
					if err != nil {
						cancel(err)
						return
					}
					r.placed = at
				}()
			}
		}()
	}
	wg.Wait()
	watchers.Wait()
	if err := context.Cause(ctx); err != nil {
		return runs, err
	}
	return runs, nil
}

// latencies returns each run's time from submit to placed.
func latencies(runs []*jobRun) []time.Duration {
	out := make([]time.Duration, 0, len(runs))
	for _, r := range runs {
		if !r.placed.IsZero() {
			out = append(out, r.placed.Sub(r.submit))
		}
	}
	return out
}

// submitOnly registers jobs with workers concurrent writers as fast as the
// API takes them and returns when all are acknowledged.
func submitOnly(ctx context.Context, c *api.Client, jobs []*nomadlike.Job, workers int) ([]*jobRun, error) {
	runs := make([]*jobRun, len(jobs))
	for i, j := range jobs {
		runs[i] = &jobRun{job: j}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) || ctx.Err() != nil {
					return
				}
				r := runs[i]
				r.submit = time.Now()
				if _, _, err := c.Jobs().Register(ctx, r.job, nil); err != nil {
					cancel(fmt.Errorf("register job %s: %w", r.job.ID, err))
					return
				}
				r.acked = time.Now()
			}
		}()
	}
	wg.Wait()
	return runs, context.Cause(ctx)
}

// completionObserver records when the servers acknowledged the first
// "complete" report of each job's allocations (a simnode.Observer).
type completionObserver struct {
	mu   sync.Mutex
	done map[string]time.Time
}

func newCompletionObserver() *completionObserver {
	return &completionObserver{done: map[string]time.Time{}}
}

func (o *completionObserver) AllocSeen(string, string, string, time.Time) {}

func (o *completionObserver) AllocReported(_, jobID, status string, at time.Time) {
	if status != nomadlike.AllocClientStatusComplete {
		return
	}
	o.mu.Lock()
	if _, ok := o.done[jobID]; !ok {
		o.done[jobID] = at
	}
	o.mu.Unlock()
}

// latencies returns, per job in submitted, the time from its submission to
// its completion.
func (o *completionObserver) latencies(submitted map[string]time.Time) []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []time.Duration
	for id, t := range submitted {
		if d, ok := o.done[id]; ok {
			out = append(out, d.Sub(t))
		}
	}
	return out
}
