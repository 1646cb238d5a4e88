package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// A write of many allocations of several jobs leaves the same summaries,
// final job statuses and allocations as writing them one at a time at the
// same index: the per-transaction summary batch is invisible.
func TestBatchedAllocWritesMatchOneByOne(t *testing.T) {
	statuses := []string{
		nomadlike.AllocClientStatusPending, nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete,
		nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusLost, nomadlike.AllocClientStatusUnknown,
	}
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			batched, single := newStore(t), newStore(t)
			node := fixture.Node()
			must(t, batched.UpsertNode(1, node.Copy()))
			must(t, single.UpsertNode(1, node.Copy()))
			var jobs []*nomadlike.Job
			for j := 0; j < 3; j++ {
				job := fixture.Job()
				job.TaskGroups = append(job.TaskGroups, job.TaskGroups[0].Copy())
				job.TaskGroups[1].Name = "db"
				storeJob(t, single, 2, job.Copy())
				jobs = append(jobs, storeJob(t, batched, 2, job))
			}
			var ids []string
			index := uint64(2)
			for step := 0; step < 25; step++ {
				index++
				switch op := r.IntN(3); {
				case op == 0 || len(ids) == 0: // a plan: stops and placements of several jobs
					req, known := &ApplyPlanResultsRequest{}, len(ids)
					for i, n := 0, r.IntN(4); i < n && len(ids) > 0; i++ {
						stop := &nomadlike.Allocation{ID: ids[r.IntN(len(ids))], DesiredStatus: nomadlike.AllocDesiredStatusStop}
						if r.IntN(2) == 0 {
							stop.ClientStatus = nomadlike.AllocClientStatusLost
						}
						req.AllocsStopped = append(req.AllocsStopped, stop)
					}
					for i, n := 0, 1+r.IntN(8); i < n; i++ {
						if known > 0 && r.IntN(4) == 0 { // an in-place update
							cur, err := batched.AllocByID(nil, ids[r.IntN(known)])
							must(t, err)
							u := cur.Copy()
							u.ClientStatus = statuses[r.IntN(len(statuses))]
							req.AllocsUpdated = append(req.AllocsUpdated, u)
							continue
						}
						a := allocFor(jobs[r.IntN(len(jobs))], node, step*10+i, "")
						if r.IntN(2) == 0 {
							a.TaskGroup = "db"
						}
						req.AllocsUpdated = append(req.AllocsUpdated, a)
						ids = append(ids, a.ID)
					}
					must(t, batched.UpsertPlanResults(index, copyPlan(req)))
					for _, a := range req.AllocsStopped {
						must(t, single.UpsertPlanResults(index, copyPlan(&ApplyPlanResultsRequest{AllocsStopped: []*nomadlike.Allocation{a}})))
					}
					for _, a := range req.AllocsUpdated {
						must(t, single.UpsertPlanResults(index, copyPlan(&ApplyPlanResultsRequest{AllocsUpdated: []*nomadlike.Allocation{a}})))
					}
				case op == 1: // a client batch, maybe the same allocation twice
					var up []*nomadlike.Allocation
					for i, n := 0, 1+r.IntN(8); i < n; i++ {
						up = append(up, &nomadlike.Allocation{ID: ids[r.IntN(len(ids))], ClientStatus: statuses[r.IntN(len(statuses))]})
					}
					must(t, batched.UpdateAllocsFromClient(index, copyAllocs(up)))
					for _, a := range up {
						must(t, single.UpdateAllocsFromClient(index, copyAllocs([]*nomadlike.Allocation{a})))
					}
				default: // server-side updates of several allocations
					var up []*nomadlike.Allocation
					for i, n := 0, 1+r.IntN(5); i < n; i++ {
						cur, err := batched.AllocByID(nil, ids[r.IntN(len(ids))])
						must(t, err)
						u := cur.Copy()
						u.ClientStatus = statuses[r.IntN(len(statuses))] // ignored unless lost
						up = append(up, u)
					}
					must(t, batched.UpsertAllocs(index, copyAllocs(up)))
					for _, a := range up {
						must(t, single.UpsertAllocs(index, copyAllocs([]*nomadlike.Allocation{a})))
					}
				}
			}
			for _, job := range jobs {
				gotSum, err := batched.JobSummaryByID(nil, job.Namespace, job.ID)
				must(t, err)
				wantSum, err := single.JobSummaryByID(nil, job.Namespace, job.ID)
				must(t, err)
				if !reflect.DeepEqual(gotSum, wantSum) {
					t.Errorf("JobSummaryByID(%q) batched = %+v, one by one %+v", job.ID, gotSum, wantSum)
				}
				gotJob, err := batched.JobByID(nil, job.Namespace, job.ID)
				must(t, err)
				wantJob, err := single.JobByID(nil, job.Namespace, job.ID)
				must(t, err)
				// Statuses are refreshed once per transaction (one by one they may
				// pass through others), so only the last one is compared.
				if gotJob.Status != wantJob.Status {
					t.Errorf("JobByID(%q).Status batched = %s, one by one %s", job.ID, gotJob.Status, wantJob.Status)
				}
			}
			for _, id := range ids {
				got, err := batched.AllocByID(nil, id)
				must(t, err)
				want, err := single.AllocByID(nil, id)
				must(t, err)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("AllocByID(%q) batched = %+v, one by one %+v", id, got, want)
				}
			}
			for _, table := range []string{TableAllocs, TableJobSummary} {
				got, err := batched.Index(table)
				must(t, err)
				want, err := single.Index(table)
				must(t, err)
				if got != want {
					t.Errorf("Index(%q) batched = %d, one by one %d", table, got, want)
				}
			}
		})
	}
}

// copyAllocs copies the allocations' structs and task states: the store
// keeps what it is given, and the two stores must not share.
func copyAllocs(allocs []*nomadlike.Allocation) []*nomadlike.Allocation {
	out := make([]*nomadlike.Allocation, len(allocs))
	for i, a := range allocs {
		out[i] = a.Copy()
	}
	return out
}

func copyPlan(req *ApplyPlanResultsRequest) *ApplyPlanResultsRequest {
	c := *req
	c.AllocsStopped, c.AllocsUpdated = copyAllocs(req.AllocsStopped), copyAllocs(req.AllocsUpdated)
	return &c
}
