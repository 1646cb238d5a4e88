package scheduler

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestPlanContextGroupCount(t *testing.T) {
	a := &nomadlike.Allocation{ID: "a", NodeID: "n1", TaskGroup: "web", DesiredStatus: nomadlike.AllocDesiredStatusRun}
	done := &nomadlike.Allocation{ID: "d", NodeID: "n1", TaskGroup: "web", DesiredStatus: nomadlike.AllocDesiredStatusStop}
	c := newPlanContext(nil, nil, []*nomadlike.Allocation{a, done})
	check := func(step string, want int) {
		t.Helper()
		if got := c.groupCount("n1", "web"); got != want {
			t.Errorf("%s: groupCount(n1, web) = %d, want %d", step, got, want)
		}
	}
	check("existing", 1)
	c.removeJobAlloc(a)
	check("removed", 0)
	b := &nomadlike.Allocation{ID: "b", NodeID: "n1", TaskGroup: "web", DesiredStatus: nomadlike.AllocDesiredStatusRun}
	c.addJobAlloc(b)
	c.addJobAlloc(a)
	check("placed two", 2)
	if got := c.groupCount("n1", "db"); got != 0 {
		t.Errorf("groupCount(n1, db) = %d, want 0", got)
	}
}
