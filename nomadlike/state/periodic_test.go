package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func periodicParent(t *testing.T, s *StateStore, index uint64) *nomadlike.Job {
	t.Helper()
	job := fixture.BatchJob(1)
	job.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "*/5 * * * *", SpecType: nomadlike.PeriodicSpecCron}
	return storeJob(t, s, index, job)
}

func TestUpsertPeriodicLaunch(t *testing.T) {
	s := newStore(t)
	parent := periodicParent(t, s, 10)
	t1 := time.Unix(1700000100, 0).UTC()
	child := parent.PeriodicChild(t1)
	eval := fixture.Eval(child)
	launch := &nomadlike.PeriodicLaunch{ID: parent.ID, Namespace: parent.Namespace, Launch: t1}
	must(t, s.UpsertPeriodicLaunch(11, launch, child, []*nomadlike.Evaluation{eval}))

	got, err := s.JobByID(nil, child.Namespace, child.ID)
	must(t, err)
	if got == nil || got.ParentID != parent.ID || got.CreateIndex != 11 || got.Status != nomadlike.JobStatusPending {
		t.Fatalf("child after launch = %+v", got)
	}
	e, err := s.EvalByID(nil, eval.ID)
	must(t, err)
	if e == nil || e.JobModifyIndex != 11 {
		t.Fatalf("child eval = %+v, want JobModifyIndex 11", e)
	}
	rec, err := s.PeriodicLaunchByID(nil, parent.Namespace, parent.ID)
	must(t, err)
	if rec == nil || !rec.Launch.Equal(t1) || rec.CreateIndex != 11 || rec.ModifyIndex != 11 {
		t.Fatalf("launch record = %+v, want %v at 11", rec, t1)
	}

	cases := []struct {
		name     string
		index    uint64
		at       time.Time
		child    *nomadlike.Job
		wantErr  error
		wantTime time.Time
	}{
		{"same child again", 12, t1, parent.PeriodicChild(t1), nomadlike.ErrConflict, t1},
		{"skipped launch", 13, t1.Add(5 * time.Minute), nil, nil, t1.Add(5 * time.Minute)},
		{"older launch keeps the time", 14, t1.Add(-time.Hour), parent.PeriodicChild(t1.Add(-time.Hour)), nil, t1.Add(5 * time.Minute)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var evals []*nomadlike.Evaluation
			if tc.child != nil {
				evals = []*nomadlike.Evaluation{fixture.Eval(tc.child)}
			}
			err := s.UpsertPeriodicLaunch(tc.index, &nomadlike.PeriodicLaunch{ID: parent.ID, Namespace: parent.Namespace, Launch: tc.at}, tc.child, evals)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("UpsertPeriodicLaunch = %v, want %v", err, tc.wantErr)
			}
			rec, err := s.PeriodicLaunchByID(nil, parent.Namespace, parent.ID)
			must(t, err)
			if !rec.Launch.Equal(tc.wantTime) || rec.CreateIndex != 11 {
				t.Errorf("launch record = %v (created %d), want %v (created 11)", rec.Launch, rec.CreateIndex, tc.wantTime)
			}
			if tc.wantErr != nil {
				if n, _ := s.Index(TablePeriodicLaunch); n != 11 {
					t.Errorf("a refused launch wrote the table: index %d, want 11", n)
				}
				if len(evals) > 0 {
					if e, _ := s.EvalByID(nil, evals[0].ID); e != nil {
						t.Errorf("a refused launch stored its eval %s", e.ID)
					}
				}
			}
		})
	}

	must(t, s.DeleteJob(20, parent.Namespace, parent.ID))
	if rec, _ := s.PeriodicLaunchByID(nil, parent.Namespace, parent.ID); rec != nil {
		t.Errorf("launch record survived the purge of its job: %+v", rec)
	}
}

func TestPeriodicJobsWatch(t *testing.T) {
	s := newStore(t)
	parent := periodicParent(t, s, 1)
	storeJob(t, s, 2, fixture.Job())

	ws := memdb.NewWatchSet()
	jobs, err := s.PeriodicJobs(ws)
	must(t, err)
	if len(jobs) != 1 || jobs[0].ID != parent.ID {
		t.Fatalf("PeriodicJobs = %v, want only %s", jobs, parent.ID)
	}
	storeJob(t, s, 3, fixture.Job())
	if fired(ws) {
		t.Error("PeriodicJobs watch fired on a change to a non-periodic job")
	}
	stopped := parent.Copy()
	stopped.Stop = true
	storeJob(t, s, 4, stopped)
	if !fired(ws) {
		t.Error("PeriodicJobs watch did not fire when the periodic job was stopped")
	}
}

// A parent's children summary always equals a recount of its children by
// status, whatever launches, placements, client updates and purges led there.
func TestChildrenSummaryMatchesRecount(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			s := newStore(t)
			node := fixture.Node()
			parent := periodicParent(t, s, 1)
			index := uint64(1)
			var children []*nomadlike.Job
			var allocs []*nomadlike.Allocation
			for step := 0; step < 50; step++ {
				index++
				switch op := r.IntN(5); {
				case op == 0 || len(children) == 0:
					c := parent.PeriodicChild(time.Unix(int64(1700000000+step*60), 0))
					e := fixture.Eval(c)
					must(t, s.UpsertPeriodicLaunch(index, &nomadlike.PeriodicLaunch{ID: parent.ID, Namespace: parent.Namespace, Launch: time.Unix(int64(1700000000+step*60), 0)},
						c, []*nomadlike.Evaluation{e}))
					children = append(children, c)
					if r.IntN(2) == 0 {
						index++
						done := e.Copy()
						done.Status = nomadlike.EvalStatusComplete
						must(t, s.UpsertEvals(index, []*nomadlike.Evaluation{done}))
					}
				case op == 1:
					c, err := s.JobByID(nil, parent.Namespace, children[r.IntN(len(children))].ID)
					must(t, err)
					if c == nil {
						continue
					}
					a := allocFor(c, node, step, nomadlike.AllocClientStatusPending)
					must(t, s.UpsertAllocs(index, []*nomadlike.Allocation{a}))
					allocs = append(allocs, a)
				case op == 2 && len(allocs) > 0:
					st := []string{nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed}[r.IntN(3)]
					must(t, s.UpdateAllocsFromClient(index, []*nomadlike.Allocation{{ID: allocs[r.IntN(len(allocs))].ID, ClientStatus: st}}))
				case op == 3:
					c := children[r.IntN(len(children))]
					if cur, _ := s.JobByID(nil, c.Namespace, c.ID); cur != nil {
						must(t, s.DeleteJob(index, c.Namespace, c.ID))
					}
				default:
					c, err := s.JobByID(nil, parent.Namespace, children[r.IntN(len(children))].ID)
					must(t, err)
					if c != nil {
						stopped := c.Copy()
						stopped.Stop = true
						must(t, s.UpsertJob(index, stopped))
					}
				}
			}
			kids, err := s.JobsByParent(nil, parent.Namespace, parent.ID)
			must(t, err)
			var want nomadlike.JobChildrenSummary
			for _, k := range kids {
				*childCounter(&want, k.Status)++
			}
			sum, err := s.JobSummaryByID(nil, parent.Namespace, parent.ID)
			must(t, err)
			if sum.Children == nil || *sum.Children != want {
				t.Errorf("children summary = %+v, recount %+v", sum.Children, want)
			}
		})
	}
}
