package e2e

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// item is one allocation's size in the packing workload.
type item struct{ cpu, mem int64 }

// packingMix returns n seeded task sizes drawn from a fixed menu of shapes
// (small, medium, large, CPU-heavy, memory-heavy), as a cluster running a
// mix of services sees them.
func packingMix(seed uint64, n int) []item {
	menu := []item{
		{100, 128}, {250, 256}, {500, 512}, {500, 1024}, {1000, 1024},
		{1000, 2048}, {1500, 1024}, {2000, 4096}, {300, 3072}, {2500, 512},
	}
	r := rand.New(rand.NewPCG(seed, 0x9ac))
	out := make([]item, n)
	for i := range out {
		out[i] = menu[r.IntN(len(menu))]
	}
	return out
}

// dominant is an item's larger share of one node.
func dominant(it item, node item) float64 {
	return max(float64(it.cpu)/float64(node.cpu), float64(it.mem)/float64(node.mem))
}

// bestFitDecreasing packs items into nodes of size node, largest dominant
// share first, each into the open node it leaves with the least free
// dominant share; it returns the number of nodes used. It is the offline
// figure the scheduler's online placements are compared with.
func bestFitDecreasing(items []item, node item) int {
	sorted := append([]item(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool { return dominant(sorted[i], node) > dominant(sorted[j], node) })
	var free []item
	for _, it := range sorted {
		best, bestLeft := -1, 2.0
		for i, f := range free {
			if f.cpu < it.cpu || f.mem < it.mem {
				continue
			}
			left := dominant(item{f.cpu - it.cpu, f.mem - it.mem}, node)
			if left < bestLeft {
				best, bestLeft = i, left
			}
		}
		if best < 0 {
			free = append(free, node)
			best = len(free) - 1
		}
		free[best].cpu -= it.cpu
		free[best].mem -= it.mem
	}
	return len(free)
}

// stranded returns the share of the used nodes' CPU and memory that is free
// but unusable: free on a node that cannot fit even the smallest item of the
// mix in both dimensions.
func stranded(used []item, node item, smallest item) (cpuShare, memShare float64) {
	var cpu, mem int64
	for _, f := range used {
		if f.cpu < smallest.cpu || f.mem < smallest.mem {
			cpu += f.cpu
			mem += f.mem
		}
	}
	n := float64(len(used))
	if n == 0 {
		return 0, 0
	}
	return float64(cpu) / (n * float64(node.cpu)), float64(mem) / (n * float64(node.mem))
}

// lowerBound is the volume bound: no packing uses fewer nodes.
func lowerBound(items []item, node item) int {
	var cpu, mem int64
	for _, it := range items {
		cpu += it.cpu
		mem += it.mem
	}
	return int(max((cpu+node.cpu-1)/node.cpu, (mem+node.mem-1)/node.mem))
}

func TestBestFitDecreasing(t *testing.T) {
	node := item{4000, 8192}
	cases := []struct {
		name  string
		items []item
		want  int
	}{
		{"empty", nil, 0},
		{"one", []item{{100, 100}}, 1},
		{"exactly full", []item{{2000, 4096}, {2000, 4096}}, 1},
		{"one too many", []item{{2000, 4096}, {2000, 4096}, {100, 100}}, 2},
		{"big then small fill the gaps", []item{{1000, 1000}, {3000, 7000}, {3000, 7000}, {1000, 1000}}, 2},
		{"memory bound", []item{{100, 5000}, {100, 5000}, {100, 5000}}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := bestFitDecreasing(tc.items, node); got != tc.want {
				t.Fatalf("bestFitDecreasing(%v) = %d, want %d", tc.items, got, tc.want)
			}
		})
	}
	// On the seeded mix BFD is never below the volume bound and is close to it.
	mix := packingMix(1, 2000)
	bfd, lb := bestFitDecreasing(mix, node), lowerBound(mix, node)
	if bfd < lb || float64(bfd) > 1.15*float64(lb) {
		t.Fatalf("BFD on the mix = %d nodes, volume bound %d: want within 15%%", bfd, lb)
	}
}

func TestStranded(t *testing.T) {
	node := item{1000, 1000}
	used := []item{{50, 500}, {500, 500}, {0, 0}}
	cpu, mem := stranded(used, node, item{100, 100})
	if cpu != 50.0/3000 || mem != 500.0/3000 {
		t.Fatalf("stranded = %v, %v; want %v, %v", cpu, mem, 50.0/3000, 500.0/3000)
	}
}
