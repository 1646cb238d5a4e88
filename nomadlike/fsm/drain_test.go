package fsm

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestApplyAllocUpdateDesiredTransition: the drainer's entry marks the
// allocation for migration without touching what a plan owns (its desired
// status stays as stored, even from a stale reader), stores the
// evaluation and hands it to the broker hook.
func TestApplyAllocUpdateDesiredTransition(t *testing.T) {
	f := newFSM(t)
	w := setup(t, f)
	// A plan stopped the allocation after the drainer read it.
	stop := w.alloc.Copy()
	stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
	apply(t, f, 5, ApplyPlanResultsRequestType, &ApplyPlanResultsRequest{Job: w.job, AllocsStopped: []*nomadlike.Allocation{stop}})
	var hooked []*nomadlike.Evaluation
	f.SetEvalHook(func(evals []*nomadlike.Evaluation) { hooked = append(hooked, evals...) })
	yes := true
	eval := fixture.Eval(w.job)
	eval.TriggeredBy = nomadlike.EvalTriggerNodeDrain
	apply(t, f, 6, AllocUpdateDesiredTransitionRequestType, &AllocUpdateDesiredTransitionRequest{
		Allocs: map[string]*nomadlike.DesiredTransition{w.alloc.ID: {Migrate: &yes}, "unknown": {Migrate: &yes}},
		Evals:  []*nomadlike.Evaluation{eval},
	})
	a, _ := f.State().AllocByID(nil, w.alloc.ID)
	if a.DesiredTransition.Migrate == nil || !*a.DesiredTransition.Migrate || a.ModifyIndex != 6 {
		t.Fatalf("alloc transition %+v at %d, want Migrate at 6", a.DesiredTransition, a.ModifyIndex)
	}
	if a.DesiredStatus != nomadlike.AllocDesiredStatusStop {
		t.Fatalf("desired status = %s, want the plan's stop kept", a.DesiredStatus)
	}
	if e, _ := f.State().EvalByID(nil, eval.ID); e == nil || len(hooked) != 1 || hooked[0].ID != eval.ID {
		t.Fatalf("eval stored %v, hooked %v; want stored and handed to the broker", e, hooked)
	}
	if got := AllocUpdateDesiredTransitionRequestType.String(); got != "AllocUpdateDesiredTransition" {
		t.Fatalf("type name = %q", got)
	}
}
