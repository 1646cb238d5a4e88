package state

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// Without garbage collection, a job summary's non-queued counts always equal
// a recount of the job's allocations by client status, whatever sequence of
// placements, server stops and client updates led there.
func TestSummaryMatchesRecount(t *testing.T) {
	statuses := []string{
		nomadlike.AllocClientStatusPending, nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete,
		nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost, nomadlike.AllocClientStatusUnknown,
	}
	for seed := uint64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			s := newStore(t)
			node := fixture.Node()
			job := fixture.Job()
			job.TaskGroups = append(job.TaskGroups, job.TaskGroups[0].Copy())
			job.TaskGroups[1].Name = "db"
			job = storeJob(t, s, 1, job)
			index := uint64(1)
			var ids []string
			for step := 0; step < 60; step++ {
				index++
				switch op := r.IntN(4); {
				case op == 0 || len(ids) == 0:
					a := allocFor(job, node, step, "")
					if r.IntN(2) == 0 {
						a.TaskGroup = "db"
					}
					must(t, s.UpsertAllocs(index, []*nomadlike.Allocation{a}))
					ids = append(ids, a.ID)
				case op == 1:
					must(t, s.UpdateAllocsFromClient(index, []*nomadlike.Allocation{{
						ID: ids[r.IntN(len(ids))], ClientStatus: statuses[r.IntN(len(statuses))]}}))
				case op == 2:
					stop := &nomadlike.Allocation{ID: ids[r.IntN(len(ids))], DesiredStatus: nomadlike.AllocDesiredStatusStop}
					if r.IntN(2) == 0 {
						stop.ClientStatus = nomadlike.AllocClientStatusLost
					}
					must(t, s.UpsertPlanResults(index, &ApplyPlanResultsRequest{AllocsStopped: []*nomadlike.Allocation{stop}}))
				default:
					cur, err := s.AllocByID(nil, ids[r.IntN(len(ids))])
					must(t, err)
					u := cur.Copy()
					u.ClientStatus = statuses[r.IntN(len(statuses))] // ignored unless lost
					must(t, s.UpsertAllocs(index, []*nomadlike.Allocation{u}))
				}
			}
			allocs, err := s.AllocsByJob(nil, job.Namespace, job.ID)
			must(t, err)
			want := map[string]nomadlike.TaskGroupSummary{}
			for _, a := range allocs {
				tg := want[a.TaskGroup]
				*countField(&tg, a.ClientStatus)++
				want[a.TaskGroup] = tg
			}
			sum, err := s.JobSummaryByID(nil, job.Namespace, job.ID)
			must(t, err)
			for name, got := range sum.Summary {
				got.Queued = 0
				if got != want[name] {
					t.Errorf("summary[%s] = %+v, recount %+v", name, got, want[name])
				}
			}
		})
	}
}

// Readers run while the FSM writes; run with -race.
func TestConcurrentReadsDuringWrites(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	must(t, s.UpsertNode(1, node))
	job := storeJob(t, s, 2, fixture.Job())
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				snap, err := s.Snapshot()
				if err != nil {
					t.Error(err)
					return
				}
				allocs, _ := snap.AllocsByNode(node.ID)
				for _, a := range allocs {
					_ = a.ClientStatus
				}
				_, _ = s.JobSummaryByID(nil, job.Namespace, job.ID)
			}
		}()
	}
	for i := 0; i < 200; i++ {
		a := allocFor(job, node, i, "")
		must(t, s.UpsertAllocs(uint64(3+2*i), []*nomadlike.Allocation{a}))
		must(t, s.UpdateAllocsFromClient(uint64(4+2*i), []*nomadlike.Allocation{{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning}}))
	}
	close(done)
	wg.Wait()
	sum, _ := s.JobSummaryByID(nil, job.Namespace, job.ID)
	if got := sum.Summary["web"].Running; got != 200 {
		t.Errorf("Running = %d, want 200", got)
	}
}
