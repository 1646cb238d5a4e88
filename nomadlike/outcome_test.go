package nomadlike_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func attempt(job *nomadlike.Job, i int, id string, create uint64, client, desired string) *nomadlike.Allocation {
	a := fixture.Alloc(job, fixture.Node(), i)
	a.ID, a.CreateIndex, a.ClientStatus, a.DesiredStatus = id, create, client, desired
	return a
}

func TestComputeOutcome(t *testing.T) {
	run, stop := nomadlike.AllocDesiredStatusRun, nomadlike.AllocDesiredStatusStop
	complete, failed := nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed
	cases := []struct {
		name    string
		stopped bool
		allocs  func(j *nomadlike.Job) []*nomadlike.Allocation
		want    *nomadlike.JobOutcome
	}{
		{"all complete succeeded", false, func(j *nomadlike.Job) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{attempt(j, 0, "a", 10, complete, run), attempt(j, 1, "b", 10, complete, run)}
		}, &nomadlike.JobOutcome{Status: "succeeded", Total: 2, Succeeded: 2}},
		{"failed then rescheduled success succeeded", false, func(j *nomadlike.Job) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{attempt(j, 0, "a", 10, failed, stop), attempt(j, 0, "a2", 12, complete, run),
				attempt(j, 1, "b", 10, complete, run)}
		}, &nomadlike.JobOutcome{Status: "succeeded", Total: 2, Succeeded: 2}},
		{"success then failed latest is failed", false, func(j *nomadlike.Job) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{attempt(j, 0, "a", 10, complete, run), attempt(j, 0, "a2", 12, failed, run),
				attempt(j, 1, "b", 10, complete, run)}
		}, &nomadlike.JobOutcome{Status: "failed", Total: 2, Succeeded: 1, Failed: 1}},
		{"killed by stop is stopped", true, func(j *nomadlike.Job) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{attempt(j, 0, "a", 10, complete, stop), attempt(j, 1, "b", 10, complete, run)}
		}, &nomadlike.JobOutcome{Status: "stopped", Total: 2, Succeeded: 1, Stopped: 1}},
		{"running shard is unfinished", false, func(j *nomadlike.Job) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{attempt(j, 0, "a", 10, nomadlike.AllocClientStatusRunning, run), attempt(j, 1, "b", 10, complete, run)}
		}, nil},
		{"index never placed failed", false, func(j *nomadlike.Job) []*nomadlike.Allocation {
			return []*nomadlike.Allocation{attempt(j, 0, "a", 10, complete, run)}
		}, &nomadlike.JobOutcome{Status: "failed", Total: 2, Succeeded: 1, Failed: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := fixture.BatchJob(2)
			j.Stop = tc.stopped
			got := nomadlike.ComputeOutcome(j, tc.allocs(j))
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("ComputeOutcome = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestComputeOutcomeProperty: over random attempt histories (each index a
// chain of attempts, every one but the last replaced), the outcome counts
// every index once by its last attempt, whatever the order of the list.
func TestComputeOutcomeProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 14))
	clients := []string{nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost}
	for iter := 0; iter < 500; iter++ {
		count := 1 + rng.IntN(10)
		j := fixture.BatchJob(count)
		j.CreateIndex = 3
		var allocs []*nomadlike.Allocation
		want := map[string]int{}
		idx := uint64(10)
		for i := 0; i < count; i++ {
			n := 1 + rng.IntN(4)
			last := ""
			for k := 0; k < n; k++ {
				client := clients[rng.IntN(len(clients))]
				desired := nomadlike.AllocDesiredStatusRun
				if k < n-1 {
					desired = nomadlike.AllocDesiredStatusStop // replaced
				}
				allocs = append(allocs, attempt(j, i, fmt.Sprintf("%d-%d", i, k), idx, client, desired))
				idx += uint64(1 + rng.IntN(3))
				last = client
			}
			switch last {
			case nomadlike.AllocClientStatusComplete:
				want[nomadlike.OutcomeSucceeded]++
			default:
				want[nomadlike.OutcomeFailed]++
			}
		}
		rng.Shuffle(len(allocs), func(a, b int) { allocs[a], allocs[b] = allocs[b], allocs[a] })
		o := nomadlike.ComputeOutcome(j, allocs)
		if o == nil {
			t.Fatalf("iteration %d: ComputeOutcome = nil for a finished job", iter)
		}
		if o.Total != count || o.Succeeded != want[nomadlike.OutcomeSucceeded] || o.Failed != want[nomadlike.OutcomeFailed] || o.Stopped != 0 {
			t.Fatalf("iteration %d: ComputeOutcome = %+v, want %d shards, %v", iter, o, count, want)
		}
		if wantStatus := nomadlike.OutcomeSucceeded; o.Failed > 0 && o.Status != nomadlike.OutcomeFailed || o.Failed == 0 && o.Status != wantStatus {
			t.Fatalf("iteration %d: Status = %q with %d failed", iter, o.Status, o.Failed)
		}
	}
}
