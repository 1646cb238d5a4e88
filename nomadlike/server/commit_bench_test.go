package server

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// BenchmarkBigPlanCommit places one job of 100,000 allocations on 5,000
// nodes through one server with raft on bolt (no HTTP, no clients) and
// times registration to the evaluation's completion: scheduler, plan
// applier, raft store and FSM, for several MaxAllocsPerEntry (1<<30: one
// entry per plan, as before entries were bounded).
//
//	go test ./nomadlike/server -run '^$' -bench BenchmarkBigPlanCommit -benchtime 1x -timeout 30m
func BenchmarkBigPlanCommit(b *testing.B) {
	const nodes, count = 5_000, 100_000
	for _, perEntry := range []int{1 << 30, 2000, 1000, 500, 250} {
		b.Run(fmt.Sprintf("per-entry=%d", perEntry), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := benchLeader(b, func(cfg *Config) {
					cfg.DataDir = b.TempDir()
					_, cfg.RaftTransport = raft.NewInmemTransport("")
					cfg.MaxAllocsPerEntry = perEntry
				})
				var wg sync.WaitGroup
				for w := 0; w < 50; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for n := 0; n < nodes/50; n++ {
							if _, _, err := s.RegisterNode(fixture.Node(), "127.0.0.1"); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				job := fixture.Job()
				job.ID = "big"
				tg := job.TaskGroups[0]
				tg.Count, tg.Networks = count, nil
				tg.Tasks[0].Resources = &nomadlike.Resources{CPU: 20, MemoryMB: 10}
				b.StartTimer()
				start := time.Now()
				evalID, _, _, err := s.RegisterJob(job, false, 0)
				if err != nil {
					b.Fatal(err)
				}
				deadline := time.Now().Add(10 * time.Minute)
				for {
					e, err := s.State().EvalByID(nil, evalID)
					if err != nil {
						b.Fatal(err)
					}
					if e != nil && e.TerminalStatus() {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("eval not complete")
					}
					time.Sleep(5 * time.Millisecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				allocs, err := s.State().AllocsByJob(nil, job.Namespace, job.ID)
				if err != nil || len(allocs) != count {
					b.Fatalf("placed %d of %d: %v", len(allocs), count, err)
				}
				b.Logf("per-entry %d: %d placements in %v", perEntry, count, elapsed.Round(time.Millisecond))
				if err := s.Shutdown(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
