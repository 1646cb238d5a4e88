package deploywatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/server/deploywatch"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// storeWriter applies the watcher's writes to a store, as raft would.
type storeWriter struct {
	s     *state.StateStore
	index uint64
	evals int
}

func (w *storeWriter) next() uint64 { w.index++; return w.index }

func (w *storeWriter) UpdateDeploymentStatus(req *state.DeploymentStatusRequest) (uint64, error) {
	return w.index, w.s.UpdateDeploymentStatus(w.next(), req, 0)
}

func (w *storeWriter) PromoteDeployment(req *state.DeploymentPromoteRequest) (uint64, error) {
	return w.index, w.s.UpdateDeploymentPromotion(w.next(), req, 0)
}

func (w *storeWriter) CreateEvals(evals []*nomadlike.Evaluation) (uint64, error) {
	w.evals += len(evals)
	return w.index, w.s.UpsertEvals(w.next(), evals)
}

type fixtureEnv struct {
	t     *testing.T
	w     *storeWriter
	node  *nomadlike.Node
	now   time.Time
	watch *deploywatch.Watcher
}

func newEnv(t *testing.T) *fixtureEnv {
	s, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	e := &fixtureEnv{t: t, w: &storeWriter{s: s, index: 100}, node: fixture.Node(), now: time.Unix(1000, 0).UTC()}
	e.must(s.UpsertNode(e.w.next(), e.node))
	e.watch = deploywatch.New(deploywatch.Config{State: func() *state.StateStore { return s }, Writer: e.w,
		Now: func() time.Time { return e.now }})
	return e
}

func (e *fixtureEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// deploy stores job (a new version), a deployment of it and one
// allocation per count in it; it returns the deployment and allocations.
func (e *fixtureEnv) deploy(job *nomadlike.Job, canary bool) (*nomadlike.Deployment, []*nomadlike.Allocation) {
	e.t.Helper()
	e.must(e.w.s.UpsertJob(e.w.next(), job))
	stored, _ := e.w.s.JobByID(nil, job.Namespace, job.ID)
	d := nomadlike.NewDeployment(stored, e.now)
	if canary {
		d.TaskGroups["web"].DesiredCanaries = 1
	}
	var allocs []*nomadlike.Allocation
	for i := range stored.TaskGroups[0].Count {
		a := fixture.Alloc(stored, e.node, i)
		a.DeploymentID, a.CreateTime = d.ID, e.now.UnixNano()
		if canary {
			a.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Canary: true}
		}
		allocs = append(allocs, a)
	}
	e.must(e.w.s.UpsertPlanResults(e.w.next(), &state.ApplyPlanResultsRequest{Job: stored, Deployment: d, AllocsUpdated: allocs}))
	return d, allocs
}

func (e *fixtureEnv) health(healthy bool, allocs ...*nomadlike.Allocation) {
	e.t.Helper()
	var in []*nomadlike.Allocation
	for _, a := range allocs {
		h := healthy
		in = append(in, &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning,
			DeploymentStatus: &nomadlike.AllocDeploymentStatus{Healthy: &h, Timestamp: e.now}})
	}
	e.must(e.w.s.UpdateAllocsFromClient(e.w.next(), in))
}

func (e *fixtureEnv) deployment(id string) *nomadlike.Deployment {
	d, err := e.w.s.DeploymentByID(nil, id)
	e.must(err)
	return d
}

func updateJob(count int, autoRevert, autoPromote bool) *nomadlike.Job {
	j := fixture.Job()
	j.ID, j.Name = "web", "web"
	j.TaskGroups[0].Count = count
	j.TaskGroups[0].Update = &nomadlike.UpdateStrategy{MaxParallel: 1, ProgressDeadline: time.Minute,
		AutoRevert: autoRevert, AutoPromote: autoPromote}
	return j
}

func TestWatcherSuccessMarksStable(t *testing.T) {
	e := newEnv(t)
	d, allocs := e.deploy(updateJob(2, false, false), false)
	e.watch.Pass()
	if e.w.evals != 1 {
		t.Fatalf("first pass created %d evals, want 1 (a new leader resumes the rollout)", e.w.evals)
	}
	e.watch.Pass()
	if e.w.evals != 1 {
		t.Fatalf("a pass without progress created an eval (%d)", e.w.evals)
	}
	e.health(true, allocs[0])
	e.watch.Pass()
	if got := e.deployment(d.ID); got.Status != nomadlike.DeploymentStatusRunning || e.w.evals != 2 {
		t.Fatalf("after 1/2 healthy: %s with %d evals, want running and a new eval", got.Status, e.w.evals)
	}
	e.health(true, allocs[1])
	e.watch.Pass()
	got := e.deployment(d.ID)
	if got.Status != nomadlike.DeploymentStatusSuccessful || got.StatusDescription != nomadlike.DeploymentDescSuccessful {
		t.Fatalf("deployment = %s %q, want successful", got.Status, got.StatusDescription)
	}
	if j, _ := e.w.s.JobByID(nil, "default", "web"); !j.Stable {
		t.Fatal("job version not stable after success")
	}
}

func TestWatcherFailureAutoReverts(t *testing.T) {
	cases := []struct {
		name     string
		breakIt  func(e *fixtureEnv, allocs []*nomadlike.Allocation)
		wantDesc string
	}{
		{name: "unhealthy alloc", breakIt: func(e *fixtureEnv, allocs []*nomadlike.Allocation) {
			e.health(false, allocs[0])
		}, wantDesc: nomadlike.DeploymentDescFailedAllocations},
		{name: "failed before healthy", breakIt: func(e *fixtureEnv, allocs []*nomadlike.Allocation) {
			e.must(e.w.s.UpdateAllocsFromClient(e.w.next(), []*nomadlike.Allocation{{ID: allocs[0].ID, ClientStatus: nomadlike.AllocClientStatusFailed}}))
		}, wantDesc: nomadlike.DeploymentDescFailedAllocations},
		{name: "progress deadline", breakIt: func(e *fixtureEnv, _ []*nomadlike.Allocation) {
			e.now = e.now.Add(2 * time.Minute)
		}, wantDesc: nomadlike.DeploymentDescProgressDeadline},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			d0, a0 := e.deploy(updateJob(1, true, false), false)
			e.health(true, a0...)
			e.watch.Pass()
			if e.deployment(d0.ID).Status != nomadlike.DeploymentStatusSuccessful {
				t.Fatal("first deployment not successful")
			}
			bad := updateJob(1, true, false)
			bad.TaskGroups[0].Tasks[0].Env["BROKEN"] = "1"
			d1, a1 := e.deploy(bad, false)
			tc.breakIt(e, a1)
			e.watch.Pass()
			got := e.deployment(d1.ID)
			want := tc.wantDesc + " - rolling back to job version 0"
			if got.Status != nomadlike.DeploymentStatusFailed || got.StatusDescription != want {
				t.Fatalf("deployment = %s %q, want failed %q", got.Status, got.StatusDescription, want)
			}
			job, _ := e.w.s.JobByID(nil, "default", "web")
			if job.Version != 2 || job.TaskGroups[0].Tasks[0].Env["BROKEN"] != "" {
				t.Fatalf("job after revert = version %d env %v, want version 2 with version 0's spec", job.Version, job.TaskGroups[0].Tasks[0].Env)
			}
			evals, _ := e.w.s.EvalsByJob(nil, "default", "web")
			found := false
			for _, ev := range evals {
				found = found || ev.JobModifyIndex == job.JobModifyIndex && ev.TriggeredBy == nomadlike.EvalTriggerDeploymentWatcher
			}
			if !found {
				t.Fatal("no evaluation of the reverted job")
			}
		})
	}
}

func TestWatcherAutoPromotesHealthyCanaries(t *testing.T) {
	e := newEnv(t)
	d, allocs := e.deploy(updateJob(1, false, true), true)
	e.watch.Pass()
	if e.deployment(d.ID).TaskGroups["web"].Promoted {
		t.Fatal("promoted before the canary is healthy")
	}
	e.health(true, allocs...)
	e.watch.Pass()
	got := e.deployment(d.ID)
	if !got.TaskGroups["web"].Promoted || !strings.Contains(got.StatusDescription, "running") {
		t.Fatalf("deployment = %+v %q, want promoted and running", got.TaskGroups["web"], got.StatusDescription)
	}
	e.watch.Pass()
	if got := e.deployment(d.ID); got.Status != nomadlike.DeploymentStatusSuccessful {
		t.Fatalf("deployment = %s, want successful once promoted and healthy", got.Status)
	}
}
