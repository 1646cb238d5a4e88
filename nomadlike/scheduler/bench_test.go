package scheduler_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// Benchmarks for BENCHMARKS.md ("Scheduler"). Run them one at a time with
// -benchtime=1x; each iteration is a whole scenario.

const (
	benchNodeCPU = 4000
	benchNodeMem = 8192
)

func benchNodes(n int) []*nomadlike.Node {
	out := make([]*nomadlike.Node, n)
	for i := range out {
		node := fixture.Node()
		node.ID = fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		node.Name = fmt.Sprintf("node-%04d", i)
		node.NodeResources.Cpu.CpuShares = benchNodeCPU
		node.NodeResources.Memory.MemoryMB = benchNodeMem
		out[i] = node
	}
	return out
}

// limits are the candidate limits compared; 0 scores every feasible node.
func limits(nodes int) []struct {
	name  string
	limit int
} {
	log2 := int(math.Ceil(math.Log2(float64(nodes))))
	return []struct {
		name  string
		limit int
	}{
		{"2", 2}, {fmt.Sprintf("log2n=%d", log2), log2}, {"16", 16}, {"64", 64}, {"256", 256}, {"all", 0},
	}
}

// BenchmarkPlacements places 10 jobs × 1,000 allocations on 1,000 nodes
// through the scheduler and the harness planner (which re-checks every
// node's fit and writes the plan to the state store) and reports
// placements per second.
func BenchmarkPlacements(b *testing.B) {
	const numNodes, numJobs, perJob = 1000, 10, 1000
	for _, jobType := range []string{nomadlike.JobTypeService, nomadlike.JobTypeBatch} {
		for _, l := range limits(numNodes) {
			b.Run(fmt.Sprintf("%s/limit=%s", jobType, l.name), func(b *testing.B) {
				cfg := scheduler.DefaultConfig()
				cfg.CandidateLimit = l.limit
				var elapsed time.Duration
				placed := 0
				for b.Loop() {
					b.StopTimer()
					h := schedtest.New(b)
					h.AddNodes(benchNodes(numNodes)...)
					var jobs []*nomadlike.Job
					for j := range numJobs {
						job := fixture.Job()
						job.ID = fmt.Sprintf("bench-%d", j)
						job.Type = jobType
						job.TaskGroups[0].Count = perJob
						job.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 300, MemoryMB: 512}
						jobs = append(jobs, h.UpsertJob(job))
					}
					b.StartTimer()
					start := time.Now()
					for _, job := range jobs {
						eval := fixture.Eval(job)
						eval.ID = fmt.Sprintf("%08d-1111-4000-8000-000000000000", len(jobs))
						if err := h.Process(cfg, eval); err != nil {
							b.Fatalf("Process: %v", err)
						}
					}
					elapsed += time.Since(start)
					b.StopTimer()
					for _, job := range jobs {
						placed += len(h.LiveAllocs(job))
					}
					h.CheckNoOvercommit()
					b.StartTimer()
				}
				b.ReportMetric(float64(placed)/elapsed.Seconds(), "placements/s")
				b.ReportMetric(float64(placed)/float64(b.N), "placed/op")
			})
		}
	}
}

// item is one allocation's size in the packing benchmark.
type item struct{ cpu, mem int }

// packingMix is a fixed seeded mix of task sizes: 150 batch jobs of 1 to 20
// copies each, sizes from small to half a node, CPU and memory loosely
// correlated.
func packingMix() [][]item {
	rng := rand.New(rand.NewPCG(2026, 11))
	cpus := []int{250, 500, 750, 1000, 1500, 2000}
	var jobs [][]item
	for range 150 {
		cpu := cpus[rng.IntN(len(cpus))]
		mem := int(float64(cpu)*2*(0.5+rng.Float64())) / 64 * 64
		n := 1 + rng.IntN(20)
		group := make([]item, n)
		for i := range group {
			group[i] = item{cpu, mem}
		}
		jobs = append(jobs, group)
	}
	return jobs
}

// bestFitDecreasing packs items offline: largest first (by the larger of
// the CPU and memory shares), each into the open node it leaves with the
// least free capacity, else a new node. It returns the nodes used.
func bestFitDecreasing(items []item) int {
	sorted := append([]item(nil), items...)
	share := func(it item) float64 {
		return max(float64(it.cpu)/benchNodeCPU, float64(it.mem)/benchNodeMem)
	}
	sort.SliceStable(sorted, func(i, j int) bool { return share(sorted[i]) > share(sorted[j]) })
	type bin struct{ cpu, mem int }
	var bins []bin
	for _, it := range sorted {
		best, bestLeft := -1, math.Inf(1)
		for i, b := range bins {
			if b.cpu+it.cpu > benchNodeCPU || b.mem+it.mem > benchNodeMem {
				continue
			}
			left := float64(benchNodeCPU-b.cpu-it.cpu)/benchNodeCPU + float64(benchNodeMem-b.mem-it.mem)/benchNodeMem
			if left < bestLeft {
				best, bestLeft = i, left
			}
		}
		if best < 0 {
			bins = append(bins, bin{})
			best = len(bins) - 1
		}
		bins[best].cpu += it.cpu
		bins[best].mem += it.mem
	}
	return len(bins)
}

// BenchmarkPackingQuality schedules the fixed mix online (one batch job
// after another) on 1,000 identical nodes for each candidate limit and
// reports the nodes used against best-fit-decreasing, which sees every
// item at once, and the time per placement.
func BenchmarkPackingQuality(b *testing.B) {
	const numNodes = 1000
	mix := packingMix()
	var all []item
	for _, g := range mix {
		all = append(all, g...)
	}
	bfd := bestFitDecreasing(all)
	for _, l := range limits(numNodes) {
		b.Run("limit="+l.name, func(b *testing.B) {
			cfg := scheduler.DefaultConfig()
			cfg.CandidateLimit = l.limit
			var used, placed int
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				h := schedtest.New(b)
				nodes := benchNodes(numNodes)
				h.AddNodes(nodes...)
				b.StartTimer()
				start := time.Now()
				for j, g := range mix {
					job := fixture.BatchJob(len(g))
					job.ID = fmt.Sprintf("pack-%03d", j)
					job.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: g[0].cpu, MemoryMB: g[0].mem}
					stored := h.UpsertJob(job)
					eval := fixture.Eval(stored)
					eval.ID = fmt.Sprintf("%08d-2222-4000-8000-000000000000", j)
					if err := h.Process(cfg, eval); err != nil {
						b.Fatalf("Process: %v", err)
					}
				}
				elapsed += time.Since(start)
				b.StopTimer()
				used, placed = 0, 0
				for _, n := range nodes {
					allocs, _ := h.Store.AllocsByNode(nil, n.ID)
					if len(allocs) > 0 {
						used++
						placed += len(allocs)
					}
				}
				h.CheckNoOvercommit()
				b.StartTimer()
			}
			if placed != len(all) {
				b.Fatalf("placed %d of %d", placed, len(all))
			}
			b.ReportMetric(float64(used), "nodes")
			b.ReportMetric(float64(bfd), "bfd-nodes")
			b.ReportMetric(float64(used)/float64(bfd), "ratio")
			b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N*len(all)), "µs/placement")
		})
	}
}
