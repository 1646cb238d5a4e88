package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// queueParentJob is a small raw_exec batch job with extra job-level HCL (a
// parameterized or periodic block) whose task runs script once.
func queueParentJob(id, extra, script string) string {
	return queueJobWith(id, 50, 16, extra, script)
}

// childSampler counts, every 100 ms, the live allocations (not terminal,
// desired run) of the children of a parent job, and keeps the highest count.
type childSampler struct {
	mu      sync.Mutex
	max     int
	samples int
	stopCh  chan struct{}
	doneCh  chan struct{}
}

func sampleChildren(c *faultCluster, parent string) *childSampler {
	s := &childSampler{stopCh: make(chan struct{}), doneCh: make(chan struct{})}
	go func() {
		defer close(s.doneCh)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.stopCh:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			allocs, _, err := c.api().Allocations().List(ctx, nil)
			cancel()
			if err != nil {
				continue // a server is down: the next sample asks another
			}
			n := 0
			for _, a := range allocs {
				if strings.HasPrefix(a.JobID, parent+"/") && a.DesiredStatus == nomadlike.AllocDesiredStatusRun &&
					(a.ClientStatus == nomadlike.AllocClientStatusPending || a.ClientStatus == nomadlike.AllocClientStatusRunning) {
					n++
				}
			}
			s.mu.Lock()
			s.samples++
			s.max = max(s.max, n)
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *childSampler) finish() (maxLive, samples int) {
	close(s.stopCh)
	<-s.doneCh
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max, s.samples
}

// failLeader kills the leader and waits for a new one among the others.
func failLeader(t *testing.T, c *faultCluster) {
	t.Helper()
	old := c.waitLeader(c.servers, 30*time.Second)
	old.Kill()
	c.waitLeader(c.runningServers(), 60*time.Second)
	t.Logf("killed leader %s", old.name)
}

// TestQueueMaxConcurrentFailover: a parameterized job with max_concurrent
// = 2 on a 3-server cluster gets 6 dispatches at once; the leader is killed
// while the first children run. Never more than 2 children run (sampled
// every 100 ms), all 6 complete, and job status of the parent shows the
// line.
func TestQueueMaxConcurrentFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 1})
	p := filepath.Join(c.dir, "render.hcl")
	body := queueParentJob("render", "  parameterized {\n    max_concurrent = 2\n  }", "sleep 3")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string { // a running server's address each time
		t.Helper()
		return queueCLI(ctx, t, c.api().Address())(0, args...)
	}
	cli("job", "run", p)
	sampler := sampleChildren(c, "render")
	var kids []string
	for i := 0; i < 6; i++ {
		resp, _, err := c.api().Jobs().Dispatch(ctx, "render", nil, nil, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, resp.DispatchedJobID)
	}
	st := cli("job", "status", "render")
	if !strings.Contains(st, "Max Concurrent") || !strings.Contains(st, "= 2 (") {
		t.Errorf("job status of the parent lacks the max_concurrent line:\n%s", st)
	}
	poll.UntilTrue(t, 60*time.Second, "two children running", func() bool {
		return strings.Contains(cli("job", "status", "render"), "2 running, 4 queued")
	})
	failLeader(t, c)
	poll.UntilTrue(t, 180*time.Second, "all 6 children dead", func() bool {
		for _, id := range kids {
			j, _, err := c.api().Jobs().Info(ctx, id, nil)
			if err != nil || j.Status != nomadlike.JobStatusDead {
				return false
			}
		}
		return true
	})
	maxLive, samples := sampler.finish()
	if maxLive > 2 {
		t.Errorf("%d children ran at once, want at most 2", maxLive)
	}
	if maxLive < 2 {
		t.Errorf("at most %d children ran at once in %d samples: the limit was not used", maxLive, samples)
	}
	for _, id := range kids {
		j, _, _ := c.api().Jobs().Info(ctx, id, nil)
		if j.Outcome == nil || j.Outcome.Status != nomadlike.OutcomeSucceeded {
			t.Errorf("child %s outcome %+v, want succeeded", id, j.Outcome)
		}
	}
	t.Logf("max %d children running over %d samples", maxLive, samples)
}

// TestQueuePeriodicOverlapFailover: a periodic job launching every 2 s
// with prohibit_overlap, whose child runs 6 s, on a 3-server cluster; the
// leader is killed while a child runs. No two children ever run at once
// (sampled every 100 ms), and the launches go on under the new leader.
func TestQueuePeriodicOverlapFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 1})
	p := filepath.Join(c.dir, "tick.hcl")
	body := queueParentJob("tick", "  periodic {\n    cron             = \"*/2 * * * * * *\"\n    prohibit_overlap = true\n  }", "sleep 6")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(ctx, t, "job", "run", "-address", c.api().Address(), p)
	if code != 0 {
		t.Fatalf("job run = %d:\n%s", code, out)
	}
	sampler := sampleChildren(c, "tick")
	children := func() []*nomadlike.JobListStub {
		jobs, _, err := c.api().Jobs().PrefixList(ctx, "tick/")
		if err != nil {
			return nil
		}
		return jobs
	}
	running := func() bool {
		for _, j := range children() {
			if j.Status == nomadlike.JobStatusRunning {
				return true
			}
		}
		return false
	}
	poll.UntilTrue(t, 60*time.Second, "a child running", running)
	failLeader(t, c)
	first := len(children())
	poll.UntilTrue(t, 120*time.Second, "two more children launched after the failover", func() bool {
		return len(children()) >= first+2
	})
	maxLive, samples := sampler.finish()
	if maxLive != 1 {
		t.Errorf("at most %d children ran at once over %d samples, want exactly 1", maxLive, samples)
	}
	t.Logf("%d children, max %d running over %d samples", len(children()), maxLive, samples)
}
