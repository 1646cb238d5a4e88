package fsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// allocsJSONNoIndex is allocsJSON without the raft indexes, which differ
// when the same plans are written in fewer entries.
func allocsJSONNoIndex(t *testing.T, f *FSM) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(allocsJSON(t, f)))
	dec.UseNumber()
	var allocs []map[string]any
	must(t, dec.Decode(&allocs))
	for _, a := range allocs {
		delete(a, "CreateIndex")
		delete(a, "ModifyIndex")
		delete(a, "AllocModifyIndex")
	}
	b, err := json.MarshalIndent(allocs, "", " ")
	must(t, err)
	return string(b)
}

// TestPlanResultsBatchAppliesAsSingleEntries: plans written in batches
// (the plan applier's group commit, PlanResultsBatch) leave the store as
// the same plans written one entry each, in both older formats
// (ApplyPlanResults and PlanResultsEntry entries still apply).
func TestPlanResultsBatchAppliesAsSingleEntries(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			w := newCompactWorld()
			single, batched := newFSM(t), newFSM(t)
			for _, f := range []*FSM{single, batched} {
				for i, n := range w.nodes {
					apply(t, f, uint64(1+i), NodeRegisterRequestType, &NodeRegisterRequest{Node: n})
				}
				apply(t, f, 4, JobRegisterRequestType, &JobRegisterRequest{Job: w.job})
			}
			plans := w.randomPlans(rand.New(rand.NewSource(seed)), 30)
			for i, req := range plans {
				if i%2 == 0 { // the oldest form: a plain request
					apply(t, single, uint64(5+i), ApplyPlanResultsRequestType, req)
				} else {
					apply(t, single, uint64(5+i), PlanResultsEntryType, NewPlanResultsEntry(req))
				}
			}
			index := uint64(5)
			for len(plans) > 0 {
				n := min(1+int(seed)*3, len(plans))
				b := &PlanResultsBatch{}
				for _, req := range plans[:n] {
					b.Plans = append(b.Plans, NewPlanResultsEntry(req))
				}
				apply(t, batched, index, PlanResultsBatchType, b)
				plans, index = plans[n:], index+1
			}
			if got, want := allocsJSONNoIndex(t, batched), allocsJSONNoIndex(t, single); got != want {
				t.Errorf("allocations after batched entries differ from after one entry per plan:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestPlanResultsBatchAllOrNone: a batch with one plan the store refuses
// changes nothing, not even the plans before it (the applier checked the
// later plans against the earlier ones).
func TestPlanResultsBatchAllOrNone(t *testing.T) {
	f := newFSM(t)
	w := setup(t, f)
	before := allocsJSON(t, f)
	good := NewPlanResultsEntry(&ApplyPlanResultsRequest{Job: w.job, EvalID: w.eval.ID,
		AllocsStopped: []*nomadlike.Allocation{{ID: w.alloc.ID, DesiredStatus: nomadlike.AllocDesiredStatusStop}}})
	bad := NewPlanResultsEntry(&ApplyPlanResultsRequest{Job: w.job, EvalID: "e2",
		Evals: []*nomadlike.Evaluation{{}}}) // an evaluation without ID
	resp := f.Apply(logEntry(t, 5, PlanResultsBatchType, &PlanResultsBatch{Plans: []*PlanResultsEntry{good, bad}}))
	if err, ok := resp.(error); !ok || !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("Apply(batch with a bad plan) = %v, want an error wrapping ErrValidation", resp)
	}
	if after := allocsJSON(t, f); after != before {
		t.Fatalf("a refused batch changed allocations:\n%s\nwant\n%s", after, before)
	}
	apply(t, f, 6, PlanResultsBatchType, &PlanResultsBatch{Plans: []*PlanResultsEntry{good}})
	a, err := f.State().AllocByID(nil, w.alloc.ID)
	must(t, err)
	if a.DesiredStatus != nomadlike.AllocDesiredStatusStop || a.ModifyIndex != 6 {
		t.Fatalf("after the good batch: alloc desired %q at %d, want stop at 6", a.DesiredStatus, a.ModifyIndex)
	}
	if PlanResultsBatchType.String() != "PlanResultsBatch" {
		t.Fatalf("type name = %q", PlanResultsBatchType)
	}
}
