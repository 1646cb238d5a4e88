package reconcile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// stagedJob is a batch job build (count 2) -> test (count 2) -> package
// (count 1), every dependency with condition success.
func stagedJob() *nomadlike.Job {
	j := fixture.BatchJob(2)
	j.ID = "ci"
	base := j.TaskGroups[0]
	group := func(name string, count int, deps ...string) *nomadlike.TaskGroup {
		tg := base.Copy()
		tg.Name, tg.Count = name, count
		for _, d := range deps {
			tg.DependsOn = append(tg.DependsOn, &nomadlike.GroupDependency{Group: d})
		}
		return tg
	}
	j.TaskGroups = []*nomadlike.TaskGroup{group("build", 2), group("test", 2, "build"), group("package", 1, "test")}
	j.Canonicalize()
	return j
}

func stageAlloc(j *nomadlike.Job, group string, i int, client string) *nomadlike.Allocation {
	a := alloc(j, i, "n1")
	a.ID = fmt.Sprintf("%s-%d-%s", group, i, client)
	a.TaskGroup, a.Name, a.ClientStatus = group, nomadlike.AllocName(j.ID, group, i), client
	return a
}

func placedGroups(r *Result) map[string]int {
	out := map[string]int{}
	for _, p := range r.Place {
		out[p.TaskGroup.Name]++
	}
	return out
}

func TestReconcileDependsOn(t *testing.T) {
	complete, failed, running := nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusRunning
	type a struct {
		group  string
		index  int
		client string
	}
	cases := []struct {
		name   string
		allocs []a
		noResc bool // groups have no reschedule policy
		want   map[string]int
	}{
		{"fresh job places only build", nil, false, map[string]int{"build": 2}},
		{"one build index still running: test waits", []a{{"build", 0, complete}, {"build", 1, running}}, false, map[string]int{}},
		{"build done: test placed", []a{{"build", 0, complete}, {"build", 1, complete}}, false, map[string]int{"test": 2}},
		{"build failed, reschedule now: only the reschedule", []a{{"build", 0, complete}, {"build", 1, failed}}, false, map[string]int{"build": 1}},
		{"build failed for good: test and package skipped", []a{{"build", 0, complete}, {"build", 1, failed}}, true, map[string]int{}},
		{"test done: package placed", []a{{"build", 0, complete}, {"build", 1, complete}, {"test", 0, complete}, {"test", 1, complete}}, false, map[string]int{"package": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := stagedJob()
			if tc.noResc {
				for _, tg := range j.TaskGroups {
					tg.ReschedulePolicy = nil
				}
			}
			var allocs []*nomadlike.Allocation
			for _, x := range tc.allocs {
				allocs = append(allocs, stageAlloc(j, x.group, x.index, x.client))
			}
			r := Reconcile(Input{Job: j, Allocs: allocs, Now: now, EvalID: "e"})
			got := placedGroups(r)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("placed %v, want %v", got, tc.want)
			}
			fresh := map[string]uint64{}
			for _, p := range r.Place {
				if p.Kind == KindNew {
					fresh[p.TaskGroup.Name]++
				}
			}
			for _, tg := range j.TaskGroups {
				if r.Desired[tg.Name].Place != fresh[tg.Name] {
					t.Errorf("Desired[%s].Place = %d, placed %d new", tg.Name, r.Desired[tg.Name].Place, fresh[tg.Name])
				}
			}
		})
	}
}

// TestReconcileDependsOnProperty drives random pipelines to their end: each
// round the reconciler's placements are created and every live allocation
// finishes with a random result. Whenever a group gets a new placement,
// every allocation of each group it depends on is terminal and the latest
// attempt of every index of those groups succeeded (condition success).
func TestReconcileDependsOnProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 3))
	for iter := 0; iter < 200; iter++ {
		j := randomPipeline(rng)
		var allocs []*nomadlike.Allocation
		seq := uint64(10)
		for round := 0; round < 40; round++ {
			r := Reconcile(Input{Job: j, Allocs: allocs, Now: now, EvalID: fmt.Sprint("e", round)})
			for _, p := range r.Place {
				checkDepsDone(t, j, allocs, p.TaskGroup)
			}
			for _, s := range r.Stop {
				s.Alloc.DesiredStatus = nomadlike.AllocDesiredStatusStop
			}
			live := false
			for _, a := range allocs {
				if !a.ClientTerminalStatus() {
					live = true
					a.ClientStatus = nomadlike.AllocClientStatusComplete
					if rng.IntN(5) == 0 {
						a.ClientStatus = nomadlike.AllocClientStatusFailed
					}
				}
			}
			for _, p := range r.Place {
				seq++
				a := stageAlloc(j, p.TaskGroup.Name, p.Index, nomadlike.AllocClientStatusPending)
				a.ID, a.CreateIndex = fmt.Sprint("a", seq), seq
				allocs = append(allocs, a)
			}
			if !live && len(r.Place) == 0 {
				break
			}
		}
		if o := nomadlike.ComputeOutcome(j, allocs); o == nil {
			t.Fatalf("iteration %d: pipeline did not finish", iter)
		}
	}
}

func checkDepsDone(t *testing.T, j *nomadlike.Job, allocs []*nomadlike.Allocation, tg *nomadlike.TaskGroup) {
	t.Helper()
	shards := nomadlike.Shards(j, allocs)
	for _, d := range tg.DependsOn {
		for _, a := range allocs {
			if a.TaskGroup == d.Group && !a.ClientTerminalStatus() {
				t.Fatalf("group %s placed while %s has live allocation %s", tg.Name, d.Group, a.ID)
			}
		}
		for _, s := range shards {
			if s.TaskGroup == d.Group && s.Result != nomadlike.OutcomeSucceeded {
				t.Fatalf("group %s placed while %s index %d is %s", tg.Name, d.Group, s.Index, s.Result)
			}
		}
	}
}

// randomPipeline is a batch job of 2..5 groups, each depending on a random
// subset of the earlier ones (so no cycles), counts 1..3.
func randomPipeline(rng *rand.Rand) *nomadlike.Job {
	j := fixture.BatchJob(1)
	j.ID = "ci"
	base := j.TaskGroups[0]
	j.TaskGroups = nil
	n := 2 + rng.IntN(4)
	for i := 0; i < n; i++ {
		tg := base.Copy()
		tg.Name, tg.Count = fmt.Sprint("g", i), 1+rng.IntN(3)
		for k := 0; k < i; k++ {
			if rng.IntN(2) == 0 {
				tg.DependsOn = append(tg.DependsOn, &nomadlike.GroupDependency{Group: fmt.Sprint("g", k)})
			}
		}
		j.TaskGroups = append(j.TaskGroups, tg)
	}
	j.Canonicalize()
	return j
}
