package plan

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestCommitAllocsDropPlanJob(t *testing.T) {
	job := fixture.Job()
	job.JobModifyIndex = 7
	node := fixture.Node()
	same := fixture.Alloc(job, node, 0)
	sameVersion := fixture.Alloc(job.Copy(), node, 1) // decoded elsewhere: equal version, other pointer
	older := job.Copy()
	older.Version, older.JobModifyIndex = job.Version+1, 9
	other := fixture.Alloc(older, node, 2)
	c := &Commit{
		Plan:   &nomadlike.Plan{Job: job},
		Result: &nomadlike.PlanResult{NodeAllocation: map[string][]*nomadlike.Allocation{node.ID: {same, sameVersion, other}}},
	}
	updated, _ := c.Allocs()
	if len(updated) != 3 {
		t.Fatalf("Allocs() = %d updated, want 3", len(updated))
	}
	for i, want := range []*nomadlike.Job{nil, nil, older} {
		if updated[i].Job != want {
			t.Errorf("updated[%d].Job = %p, want %p", i, updated[i].Job, want)
		}
	}
	if same.Job != job || sameVersion.Job == nil {
		t.Errorf("Allocs() changed the plan's allocations")
	}
}
