package server

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// BenchmarkPlacement measures placements per second through the whole
// leader pipeline: raft (in-memory), FSM, eval broker, scheduler workers,
// the real scheduler and the plan applier. Each iteration registers
// benchJobs jobs of benchCount allocations on benchNodes nodes and stops the
// clock when every allocation is placed.
func BenchmarkPlacement(b *testing.B) {
	const benchNodes, benchJobs, benchCount = 1000, 100, 100
	total := 0
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := benchLeader(b, func(cfg *Config) { cfg.Dev = true })
		for n := 0; n < benchNodes; n++ {
			if _, _, err := s.RegisterNode(fixture.Node(), "127.0.0.1"); err != nil {
				b.Fatal(err)
			}
		}
		jobs := make([]*nomadlike.Job, benchJobs)
		for j := range jobs {
			job := fixture.BatchJob(benchCount)
			job.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 100, MemoryMB: 64}
			jobs[j] = job
		}
		b.StartTimer()
		start := time.Now()
		for _, job := range jobs {
			if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
				b.Fatal(err)
			}
		}
		want := benchJobs * benchCount
		deadline := time.Now().Add(5 * time.Minute)
		for {
			allocs, err := s.State().Allocs(nil, "")
			if err != nil {
				b.Fatal(err)
			}
			if len(allocs) >= want {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("placed %d of %d", len(allocs), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		elapsed += time.Since(start)
		total += want
		b.StopTimer()
		stats := s.applier.Stats()
		b.Logf("iteration %d: %d placements in %v, plans applied %d partial %d, node rejections %d", i, want, time.Since(start).Round(time.Millisecond), stats.Applied, stats.Partial, stats.Rejected)
		if err := s.Shutdown(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "placements/s")
	b.ReportMetric(0, "ns/op")
}

// benchLeader starts a single server for a benchmark, with heartbeats that
// never expire and a long raft apply timeout, changed by mutate, and waits
// until it leads.
func benchLeader(b *testing.B, mutate func(*Config)) *Server {
	b.Helper()
	cfg := DefaultConfig()
	cfg.NodeName = "bench"
	cfg.HeartbeatMinTTL = time.Hour
	cfg.RaftApplyTimeout = time.Minute
	mutate(&cfg)
	s, err := NewServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !s.IsLeader() {
		if time.Now().After(deadline) {
			b.Fatal("no leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}
