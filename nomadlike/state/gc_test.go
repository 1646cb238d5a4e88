package state

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestReconcileSummaries: garbage collecting an allocation leaves the
// summary's counts (history); ReconcileSummaries recounts them from the
// stored allocations, keeps Queued, and writes nothing when they match.
func TestReconcileSummaries(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	job := storeJob(t, s, 1, fixture.Job())
	a0 := allocFor(job, node, 0, nomadlike.AllocClientStatusComplete)
	a1 := allocFor(job, node, 1, nomadlike.AllocClientStatusFailed)
	a2 := allocFor(job, node, 2, nomadlike.AllocClientStatusRunning)
	must(t, s.UpsertAllocs(2, []*nomadlike.Allocation{a0, a1, a2}))
	n, err := s.GCPurge(3, nil, nil, []string{a1.ID, a2.ID}) // a2 runs: kept
	must(t, err)
	if n.Allocs != 1 {
		t.Fatalf("GCPurge deleted %d allocations, want 1 (the running one stays)", n.Allocs)
	}
	tg := job.TaskGroups[0].Name
	sum, err := s.JobSummaryByID(nil, job.Namespace, job.ID)
	must(t, err)
	if got := sum.Summary[tg]; got.Failed != 1 {
		t.Fatalf("summary after GC = %+v, want the failed count kept", got)
	}
	changed, err := s.ReconcileSummaries(4)
	must(t, err)
	sum, err = s.JobSummaryByID(nil, job.Namespace, job.ID)
	must(t, err)
	want := nomadlike.TaskGroupSummary{Complete: 1, Running: 1}
	if got := sum.Summary[tg]; changed != 1 || got != want {
		t.Fatalf("after reconcile: %d changed, summary %+v; want 1 and %+v", changed, got, want)
	}
	if changed, err = s.ReconcileSummaries(5); err != nil || changed != 0 {
		t.Fatalf("second reconcile changed %d (%v), want 0", changed, err)
	}
}
