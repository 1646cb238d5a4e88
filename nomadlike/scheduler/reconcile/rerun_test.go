package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// rerunFixture is a finished batch job of four indexes at version 0: 0 and
// 2 completed, 1 and 3 failed with no reschedule left, and version 1 of it
// carrying rerun.
func rerunFixture(rerun *nomadlike.JobRerun) (*nomadlike.Job, []*nomadlike.Allocation) {
	old := fixture.BatchJob(4)
	old.ID = "ci"
	old.TaskGroups[0].ReschedulePolicy = nil
	var allocs []*nomadlike.Allocation
	for i := 0; i < 4; i++ {
		a := alloc(old, i, "n1")
		a.ClientStatus = nomadlike.AllocClientStatusComplete
		if i%2 == 1 {
			a.ClientStatus = nomadlike.AllocClientStatusFailed
		}
		allocs = append(allocs, a)
	}
	cur := old.Copy()
	cur.Version = 1
	cur.JobModifyIndex = old.JobModifyIndex + 10
	cur.Rerun = rerun
	return cur, allocs
}

func TestReconcileRerun(t *testing.T) {
	cases := []struct {
		name  string
		rerun *nomadlike.JobRerun
		place []string
	}{
		{"unchanged job runs nothing", nil, nil},
		{"whole rerun runs every index", &nomadlike.JobRerun{OfVersion: 0},
			[]string{"ci.work[0]", "ci.work[1]", "ci.work[2]", "ci.work[3]"}},
		{"failed-only rerun runs the listed indexes", &nomadlike.JobRerun{Indexes: map[string][]int{"work": {1, 3}}},
			[]string{"ci.work[1]", "ci.work[3]"}},
		{"failed-only rerun of a completed index runs it", &nomadlike.JobRerun{Indexes: map[string][]int{"work": {0}}},
			[]string{"ci.work[0]", "ci.work[1]", "ci.work[3]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, allocs := rerunFixture(tc.rerun)
			if tc.rerun == nil {
				job.Version, job.JobModifyIndex = 0, allocs[0].Job.JobModifyIndex
			}
			r := Reconcile(Input{Job: job, Allocs: allocs, Now: now})
			if got := names(r.Place); !slices.Equal(got, tc.place) {
				t.Errorf("Reconcile(rerun %+v).Place = %v, want %v", tc.rerun, got, tc.place)
			}
			if len(r.Stop) != 0 {
				t.Errorf("Reconcile stops %v, want none (every allocation finished)", stopIDs(r.Stop))
			}
		})
	}
}

// TestReconcileRerunProperty: over random finished histories, a rerun of
// the indexes whose latest attempt did not succeed places exactly those,
// and afterwards (the new attempts succeeded) every shard succeeded.
func TestReconcileRerunProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2026))
	statuses := []string{nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost}
	for iter := 0; iter < 300; iter++ {
		count := 1 + rng.IntN(8)
		old := fixture.BatchJob(count)
		old.ID, old.CreateIndex, old.JobModifyIndex = "ci", 5, 5
		old.TaskGroups[0].ReschedulePolicy = nil
		var allocs []*nomadlike.Allocation
		idx := uint64(10)
		for i := 0; i < count; i++ {
			for k := 0; k < 1+rng.IntN(3); k++ {
				a := alloc(old, i, fmt.Sprintf("n%d", k))
				a.ID = fmt.Sprintf("a-%d-%d", i, k)
				a.CreateIndex, idx = idx, idx+1
				a.ClientStatus = statuses[rng.IntN(len(statuses))]
				allocs = append(allocs, a)
			}
		}
		want := nomadlike.RerunIndexes(nomadlike.Shards(old, allocs))
		cur := old.Copy()
		cur.Version, cur.JobModifyIndex = 1, idx
		cur.Rerun = &nomadlike.JobRerun{Indexes: want}
		r := Reconcile(Input{Job: cur, Allocs: allocs, Now: now})
		var got []int
		for _, p := range r.Place {
			got = append(got, p.Index)
			a := alloc(cur, p.Index, "nx")
			a.ID = fmt.Sprintf("new-%d", p.Index)
			a.CreateIndex, idx = idx, idx+1
			a.ClientStatus = nomadlike.AllocClientStatusComplete
			allocs = append(allocs, a)
		}
		slices.Sort(got)
		if !slices.Equal(got, want["work"]) {
			t.Fatalf("iteration %d: rerun placed indexes %v, want %v", iter, got, want["work"])
		}
		if o := nomadlike.ComputeOutcome(cur, allocs); o == nil || o.Status != nomadlike.OutcomeSucceeded || o.Succeeded != count {
			t.Fatalf("iteration %d: outcome after the rerun succeeded = %+v, want all %d succeeded", iter, o, count)
		}
	}
}
