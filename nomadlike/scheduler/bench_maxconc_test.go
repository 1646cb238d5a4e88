package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// BenchmarkMaxConcurrentLine is the scheduler's max_concurrent check
// (scheduler.JobHeld, once per evaluation of a dispatched child) with
// 1,000 and 10,000 live children of a parent with max_concurrent = 10,
// for a child in the line's middle (held) and for its 5th (admitted).
// BENCHMARKS.md ("Queue and dependencies") has the figures.
func BenchmarkMaxConcurrentLine(b *testing.B) {
	const limit = 10
	for _, live := range []int{1000, 10000} {
		h := schedtest.New(b)
		kids := dispatchChildren(h, limit, live)
		snap := h.Snapshot()
		for _, pos := range []struct {
			name string
			idx  int
			held bool
		}{{"held", live / 2, true}, {"admitted", 4, false}} {
			b.Run(fmt.Sprintf("live=%d/%s", live, pos.name), func(b *testing.B) {
				child := kids[pos.idx]
				for b.Loop() {
					held, err := scheduler.JobHeld(snap, child)
					if err != nil || held != pos.held {
						b.Fatalf("held = %v, %v; want %v", held, err, pos.held)
					}
				}
			})
		}
	}
}
