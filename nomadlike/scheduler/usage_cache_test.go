package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/rank"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// TestUsageCacheSamePlacements runs the same seeded evaluations (new jobs,
// destructive updates that stop and replace, scale-downs) with and without
// the usage cache and checks that every allocation lands on the same node.
func TestUsageCacheSamePlacements(t *testing.T) {
	for seed := uint64(1); seed <= 15; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			plain, cached := schedtest.New(t), schedtest.New(t)
			cached.Usage = &scheduler.UsageCache{}
			rng := rand.New(rand.NewPCG(seed, 7))
			for i := range 4 + rng.IntN(6) {
				n := fixture.Node()
				n.Name = fmt.Sprintf("node-%d", i)
				n.NodeResources.Cpu.CpuShares = int64(2000 + rng.IntN(4000))
				n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000+rng.IntN(30)
				plain.AddNodes(n)
				cached.AddNodes(n.Copy())
			}
			cfg := testConfig()
			cfg.CandidateLimit = []int{0, 2, 64}[rng.IntN(3)]
			var jobs []*nomadlike.Job
			for j := range 3 + rng.IntN(3) {
				jobs = append(jobs, randomJob(rng, j))
			}
			step := func(job *nomadlike.Job) {
				t.Helper()
				a, b := plain.UpsertJob(job.Copy()), cached.UpsertJob(job.Copy())
				eval := fixture.Eval(a)
				if err := plain.Process(cfg, eval.Copy()); err != nil {
					t.Fatalf("Process without cache: %v", err)
				}
				if err := cached.Process(cfg, eval.Copy()); err != nil {
					t.Fatalf("Process with cache: %v", err)
				}
				if got, want := placements(cached, b), placements(plain, a); got != want {
					t.Fatalf("job %s with cache:\n%s\nwithout:\n%s", job.ID, got, want)
				}
				cached.CheckNoOvercommit()
			}
			for _, job := range jobs {
				step(job)
			}
			for _, job := range jobs {
				up := job.Copy()
				tg := up.TaskGroups[0]
				tg.Tasks[0].Resources.CPU += 50 + rng.IntN(300) // destructive: stop and replace
				step(up)
				down := up.Copy()
				down.TaskGroups[0].Count = max(1, tg.Count/2)
				step(down)
			}
		})
	}
}

// placements lists the job's live allocations as name@node-name, by name.
func placements(h *schedtest.Harness, job *nomadlike.Job) string {
	out := ""
	for _, a := range h.LiveAllocs(job) {
		out += a.Name + "@" + a.NodeName + "\n"
	}
	return out
}

func TestUsageCacheRecomputesOnlyChangedNodes(t *testing.T) {
	h := schedtest.New(t)
	n1, n2 := fixture.Node(), fixture.Node()
	h.AddNodes(n1, n2)
	job := h.UpsertJob(fixture.Job())
	h.UpsertAllocs(fixture.Alloc(job, n1, 0), fixture.Alloc(job, n2, 1))
	cache := &scheduler.UsageCache{}
	h.Usage = cache
	usage := func() (u1, u2 *rank.NodeUsage, cpu1 int64) {
		t.Helper()
		us := h.Snapshot().(scheduler.UsageState)
		a, err := us.NodeUsage(n1.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := us.NodeUsage(n2.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a, b, a.Used.CPU
	}
	a1, b1, cpu := usage()
	a2, b2, _ := usage()
	if a1 != a2 || b1 != b2 {
		t.Errorf("NodeUsage on an unchanged state was computed again")
	}
	h.UpsertAllocs(fixture.Alloc(job, n1, 2))
	a3, b3, cpu3 := usage()
	if a3 == a2 || cpu3 <= cpu {
		t.Errorf("NodeUsage of the changed node = cached (cpu %d, was %d), want recomputed with the new allocation", cpu3, cpu)
	}
	if b3 != b2 {
		t.Errorf("NodeUsage of the unchanged node was computed again")
	}
}
