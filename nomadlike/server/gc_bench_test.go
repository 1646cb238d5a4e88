package server

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/server/gc"
)

// BenchmarkGCChurn submits short batch jobs (one allocation each) in waves
// to a leader with benchGCNodes nodes, completes every allocation as a
// client would (UpdateAllocsFromClient), and after each wave records the
// live heap (after runtime.GC) and the size of a raft snapshot of the
// state. With the collector off (gc=off: thresholds of a year) both grow
// with every job; with aggressive thresholds (gc=on: collect every 100ms,
// thresholds 1ms) they stay flat. NOMADLIKE_BENCH_GC_JOBS sets the number
// of jobs (default 100,000), NOMADLIKE_BENCH_GC_WAVE the jobs per wave
// (default 1,000). Not part of make test: it takes minutes at full scale.
//
//	go test ./nomadlike/server -run '^$' -bench BenchmarkGCChurn -benchtime=1x
func BenchmarkGCChurn(b *testing.B) {
	jobs := envInt(b, "NOMADLIKE_BENCH_GC_JOBS", 100_000)
	wave := envInt(b, "NOMADLIKE_BENCH_GC_WAVE", 1000)
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "gc=off", true: "gc=on"}[on]
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				heap, snap := gcChurn(b, on, jobs, wave)
				b.ReportMetric(float64(heap)/(1<<20), "final-heap-MiB")
				b.ReportMetric(float64(snap)/(1<<20), "final-snapshot-MiB")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

const benchGCNodes = 50

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive integer", name, v)
		}
		return n
	}
	return def
}

// gcChurn runs one scenario and returns the live heap and snapshot size
// after the last wave.
func gcChurn(b *testing.B, on bool, jobs, wave int) (heap uint64, snap int64) {
	s := benchLeader(b, func(cfg *Config) {
		cfg.Dev = true
		// Raft compaction as a long-running server has it (the in-memory
		// log store otherwise keeps every entry of a short run).
		cfg.SnapshotInterval, cfg.SnapshotThreshold, cfg.TrailingLogs = time.Second, 1024, 1024
		if on {
			cfg.JobGCInterval = 100 * time.Millisecond
			cfg.GCThresholds = gc.Thresholds{Job: time.Millisecond, Eval: time.Millisecond,
				BatchEval: time.Millisecond, Node: 24 * time.Hour}
		} else {
			year := 365 * 24 * time.Hour
			cfg.GCThresholds = gc.Thresholds{Job: year, Eval: year, BatchEval: year, Node: year}
		}
	})
	defer func() { _ = s.Shutdown() }()
	secrets := map[string]string{}
	var nodeIDs []string
	for n := 0; n < benchGCNodes; n++ {
		node := fixture.Node()
		if _, _, err := s.RegisterNode(node, "127.0.0.1"); err != nil {
			b.Fatal(err)
		}
		stored, _ := s.State().NodeByID(nil, node.ID)
		secrets[node.ID] = stored.SecretID
		nodeIDs = append(nodeIDs, node.ID)
	}
	start := time.Now()
	for done := 0; done < jobs; done += wave {
		n := min(wave, jobs-done)
		for j := 0; j < n; j++ {
			job := fixture.BatchJob(1)
			job.ID = fmt.Sprintf("churn-%d", done+j)
			job.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 10, MemoryMB: 10}
			if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
				b.Fatal(err)
			}
		}
		completeAll(b, s, nodeIDs, secrets, n)
		if (done/wave)%10 == 9 || done+n >= jobs {
			heap, snap = gcMeasure(b, s)
			b.Logf("%s after %d jobs (%v): live heap %.1f MiB, snapshot %.2f MiB",
				map[bool]string{false: "gc=off", true: "gc=on"}[on], done+n, time.Since(start).Round(time.Second),
				float64(heap)/(1<<20), float64(snap)/(1<<20))
		}
	}
	if on {
		// What the last waves left goes with the next collections.
		deadline := time.Now().Add(time.Minute)
		for {
			left, err := s.State().Jobs(nil, nomadlike.AllNamespaces, "")
			if err != nil {
				b.Fatal(err)
			}
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		heap, snap = gcMeasure(b, s)
		b.Logf("gc=on settled (no job left): live heap %.1f MiB, snapshot %.2f MiB", float64(heap)/(1<<20), float64(snap)/(1<<20))
	}
	return heap, snap
}

// completeAll waits until n new allocations are placed and reports every
// live allocation complete, node by node, until none is live.
func completeAll(b *testing.B, s *Server, nodeIDs []string, secrets map[string]string, n int) {
	deadline := time.Now().Add(5 * time.Minute)
	completed := 0
	for completed < n {
		if time.Now().After(deadline) {
			b.Fatalf("completed %d of %d allocations", completed, n)
		}
		for _, id := range nodeIDs {
			allocs, err := s.State().AllocsByNode(nil, id)
			if err != nil {
				b.Fatal(err)
			}
			var upd []*nomadlike.Allocation
			for _, a := range allocs {
				if !a.TerminalStatus() {
					upd = append(upd, &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusComplete})
				}
			}
			if len(upd) == 0 {
				continue
			}
			if _, err := s.UpdateAllocsFromClient(secrets[id], upd); err != nil {
				b.Fatal(err)
			}
			completed += len(upd)
		}
		if completed < n {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// gcMeasure returns the live heap after a runtime GC and the size of a
// raft snapshot of the state.
func gcMeasure(b *testing.B, s *Server) (uint64, int64) {
	snap, err := s.fsm.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	sink := &countingSink{}
	if err := snap.Persist(sink); err != nil {
		b.Fatal(err)
	}
	snap.Release()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, sink.n
}

// countingSink is a raft.SnapshotSink that only counts bytes.
type countingSink struct{ n int64 }

func (c *countingSink) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
func (c *countingSink) Close() error                { return nil }
func (c *countingSink) ID() string                  { return "count" }
func (c *countingSink) Cancel() error               { return nil }
