package state

import (
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// The store sets a batch job's Outcome in the write that makes it dead,
// clears it when the job runs again, and keeps a rerun marker over an
// unchanged submission.
func TestJobOutcomeFollowsStatus(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	must(t, s.UpsertNode(1, node))
	job := storeJob(t, s, 2, fixture.BatchJob(2))
	a0 := allocFor(job, node, 0, nomadlike.AllocClientStatusRunning)
	a1 := allocFor(job, node, 1, nomadlike.AllocClientStatusRunning)
	must(t, s.UpsertAllocs(3, []*nomadlike.Allocation{a0, a1}))
	get := func() *nomadlike.Job {
		t.Helper()
		j, err := s.JobByID(nil, job.Namespace, job.ID)
		must(t, err)
		return j
	}
	if j := get(); j.Status != nomadlike.JobStatusRunning || j.Outcome != nil {
		t.Fatalf("running job: Status %q Outcome %+v, want running and none", j.Status, j.Outcome)
	}
	d0, d1 := a0.Copy(), a1.Copy()
	d0.ClientStatus, d1.ClientStatus = nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed
	must(t, s.UpdateAllocsFromClient(4, []*nomadlike.Allocation{d0, d1}))
	want := nomadlike.JobOutcome{Status: nomadlike.OutcomeFailed, Total: 2, Succeeded: 1, Failed: 1}
	if j := get(); j.Status != nomadlike.JobStatusDead || j.Outcome == nil || *j.Outcome != want {
		t.Fatalf("finished job: Status %q Outcome %+v, want dead and %+v", j.Status, j.Outcome, want)
	}

	rerun := get().Copy()
	rerun.Rerun = &nomadlike.JobRerun{OfVersion: rerun.Version, Indexes: map[string][]int{"work": {1}}}
	must(t, s.UpsertJob(5, rerun))
	j := get()
	if j.Version != job.Version+1 {
		t.Fatalf("rerun: Version %d, want %d", j.Version, job.Version+1)
	}
	a2 := allocFor(j, node, 1, nomadlike.AllocClientStatusRunning)
	must(t, s.UpsertAllocs(6, []*nomadlike.Allocation{a2}))
	if k := get(); k.Status != nomadlike.JobStatusRunning || k.Outcome != nil {
		t.Fatalf("rerun running: Status %q Outcome %+v, want running and none", k.Status, k.Outcome)
	}
	same := fixture.BatchJob(2)
	same.ID, same.Name = job.ID, job.Name
	must(t, s.UpsertJob(7, same))
	if k := get(); k.Version != j.Version || k.Rerun == nil {
		t.Fatalf("unchanged submission after a rerun: Version %d Rerun %+v, want %d and the marker kept", k.Version, k.Rerun, j.Version)
	}
}
