package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// TestNeverOvercommits schedules random seeded jobs on random node sizes,
// with random candidate limits, and checks after every evaluation that each
// node's allocations satisfy nomadlike.AllocsFit, and that every group's
// allocations placed plus queued equal its count.
func TestNeverOvercommits(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			h := schedtest.New(t)
			for i := range 3 + rng.IntN(8) {
				n := fixture.Node()
				n.Name = fmt.Sprintf("node-%d", i)
				n.NodeResources.Cpu.CpuShares = int64(1000 + rng.IntN(4000))
				n.NodeResources.Memory.MemoryMB = int64(1024 + rng.IntN(8192))
				n.NodeResources.Disk.DiskMB = int64(1000 + rng.IntN(5000))
				n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000+rng.IntN(20)
				n.ReservedResources.Cpu.CpuShares = int64(rng.IntN(200))
				n.ReservedResources.Networks.ReservedHostPorts = "20003"
				h.AddNodes(n)
			}
			cfg := testConfig()
			cfg.CandidateLimit = []int{0, 1, 2, 4, 64}[rng.IntN(5)]
			for j := range 2 + rng.IntN(5) {
				job := randomJob(rng, j)
				stored := h.UpsertJob(job)
				eval := fixture.Eval(stored)
				if err := h.Process(cfg, eval); err != nil {
					t.Fatalf("Process: %v", err)
				}
				h.CheckNoOvercommit()
				// Nothing else changes the state, so the plan applier's
				// re-check must accept every plan in full: the scheduler
				// itself never proposes an over-commit.
				for k, res := range h.Results {
					if full, want, got := res.FullCommit(h.Plans[k]); !full {
						t.Fatalf("plan %d partly committed (%d of %d): the scheduler over-committed a node", k, got, want)
					}
				}
				ev := h.LastUpdate()
				live := h.LiveAllocs(stored)
				for _, tg := range stored.TaskGroups {
					placed := 0
					for _, a := range live {
						if a.TaskGroup == tg.Name {
							placed++
						}
					}
					if placed+ev.QueuedAllocations[tg.Name] != tg.Count {
						t.Fatalf("job %d group %s: %d placed + %d queued != count %d", j, tg.Name, placed, ev.QueuedAllocations[tg.Name], tg.Count)
					}
				}
			}
		})
	}
}

func randomJob(rng *rand.Rand, i int) *nomadlike.Job {
	job := fixture.Job()
	job.ID = fmt.Sprintf("job-%d", i)
	job.Name = job.ID
	if rng.IntN(2) == 0 {
		job.Type = nomadlike.JobTypeBatch
	}
	tg := job.TaskGroups[0]
	tg.Count = 1 + rng.IntN(12)
	tg.Tasks[0].Resources = &nomadlike.Resources{CPU: 100 + rng.IntN(1500), MemoryMB: 64 + rng.IntN(2048)}
	tg.EphemeralDisk = &nomadlike.EphemeralDisk{SizeMB: 100 + rng.IntN(800)}
	switch rng.IntN(3) {
	case 0:
		tg.Networks = nil
	case 1:
		tg.Networks = []*nomadlike.NetworkResource{{DynamicPorts: []nomadlike.Port{{Label: "a"}, {Label: "b"}}}}
	case 2:
		tg.Networks = []*nomadlike.NetworkResource{{ReservedPorts: []nomadlike.Port{{Label: "s", Value: 9000 + i}}}}
	}
	return job
}
