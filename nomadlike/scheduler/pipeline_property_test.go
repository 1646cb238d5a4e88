package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// TestDependsOnNeverEarly runs random batch pipelines (depends_on with
// success, failure or complete; random reschedule attempts) through the
// scheduler and the state store, finishing every live allocation with a
// random result between evaluations. It checks, against the state each
// evaluation started from, that no group gets an allocation before every
// allocation of each group it depends on is terminal and the latest attempts
// of that group meet the condition; and that every pipeline finishes.
func TestDependsOnNeverEarly(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			h := schedtest.New(t)
			h.AddNodes(nodes(3)...)
			job := h.UpsertJob(randomPipelineJob(rng))
			for round := 0; round < 60; round++ {
				before := h.Allocs(job)
				if err := h.Process(testConfig(), fixture.Eval(job)); err != nil {
					t.Fatalf("Process: %v", err)
				}
				seen := map[string]bool{}
				for _, a := range before {
					seen[a.ID] = true
				}
				placed := false
				for _, a := range h.Allocs(job) {
					if !seen[a.ID] {
						placed = true
						checkDependenciesMet(t, job, before, a.TaskGroup)
					}
				}
				live := h.LiveAllocs(job)
				if len(live) == 0 && !placed {
					if o := nomadlike.ComputeOutcome(job, h.Allocs(job)); o == nil {
						t.Fatalf("pipeline stopped before it finished: %+v", nomadlike.PipelineStates(job, h.Allocs(job), nil))
					}
					return
				}
				var upd []*nomadlike.Allocation
				for _, a := range live {
					status := nomadlike.AllocClientStatusComplete
					if rng.IntN(4) == 0 {
						status = nomadlike.AllocClientStatusFailed
					}
					upd = append(upd, &nomadlike.Allocation{ID: a.ID, ClientStatus: status})
				}
				h.UpdateAllocsFromClient(upd...)
			}
			t.Fatal("pipeline did not finish in 60 rounds")
		})
	}
}

// checkDependenciesMet is the oracle, written apart from PipelineStates:
// every allocation of each dependency is terminal, every index of it has an
// attempt, and the latest attempts meet the condition.
func checkDependenciesMet(t *testing.T, job *nomadlike.Job, allocs []*nomadlike.Allocation, group string) {
	t.Helper()
	for _, d := range job.LookupTaskGroup(group).DependsOn {
		latest := map[string]*nomadlike.Allocation{}
		for _, a := range allocs {
			if a.TaskGroup != d.Group {
				continue
			}
			if !a.ClientTerminalStatus() {
				t.Fatalf("%s placed while %s allocation %s is %s", group, d.Group, a.Name, a.ClientStatus)
			}
			if cur := latest[a.Name]; cur == nil || a.CreateIndex > cur.CreateIndex {
				latest[a.Name] = a
			}
		}
		failed := false
		for _, a := range latest {
			failed = failed || a.ClientStatus == nomadlike.AllocClientStatusFailed
		}
		dep := job.LookupTaskGroup(d.Group)
		switch {
		case len(latest) != dep.Count:
			t.Fatalf("%s placed while %d of %d indexes of %s ran", group, len(latest), dep.Count, d.Group)
		case d.Condition == nomadlike.DependsSuccess && failed:
			t.Fatalf("%s (success) placed although %s failed", group, d.Group)
		case d.Condition == nomadlike.DependsFailure && !failed:
			t.Fatalf("%s (failure) placed although %s succeeded", group, d.Group)
		}
	}
}

// randomPipelineJob is a batch job of 2..5 groups, each depending on a
// random subset of the earlier ones; complete only on groups without
// dependencies (which are never skipped), so the oracle can ask that the
// dependency ran.
func randomPipelineJob(rng *rand.Rand) *nomadlike.Job {
	job := fixture.BatchJob(1)
	job.ID, job.Name = "pipeline", "pipeline"
	base := job.TaskGroups[0]
	job.TaskGroups = nil
	for i := range 2 + rng.IntN(4) {
		tg := base.Copy()
		tg.Name, tg.Count = fmt.Sprint("g", i), 1+rng.IntN(3)
		tg.ReschedulePolicy = &nomadlike.ReschedulePolicy{Attempts: rng.IntN(2), Interval: 1 << 40, DelayFunction: nomadlike.DelayFunctionConstant}
		for k := range i {
			if rng.IntN(2) == 0 {
				continue
			}
			cond := []string{nomadlike.DependsSuccess, nomadlike.DependsFailure}[rng.IntN(2)]
			if len(job.TaskGroups[k].DependsOn) == 0 && rng.IntN(3) == 0 {
				cond = nomadlike.DependsComplete
			}
			tg.DependsOn = append(tg.DependsOn, &nomadlike.GroupDependency{Group: fmt.Sprint("g", k), Condition: cond})
		}
		job.TaskGroups = append(job.TaskGroups, tg)
	}
	job.Canonicalize()
	return job
}
