package scheduler_test

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// deployJob is the fixture job with a rolling update block.
func deployJob(canary int) *nomadlike.Job {
	j := fixture.Job()
	u := &nomadlike.UpdateStrategy{MaxParallel: 1, HealthCheck: nomadlike.UpdateHealthCheckTaskStates,
		MinHealthyTime: time.Second, HealthyDeadline: time.Minute, ProgressDeadline: 10 * time.Minute, Canary: canary}
	j.Update = u
	cp := *u
	j.TaskGroups[0].Update = &cp
	return j
}

// markHealthy reports allocs running and healthy as their client would.
func markHealthy(t *testing.T, h *schedtest.Harness, allocs ...*nomadlike.Allocation) {
	t.Helper()
	yes := true
	for _, a := range allocs {
		h.UpdateAllocsFromClient(&nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning,
			DeploymentStatus: &nomadlike.AllocDeploymentStatus{Healthy: &yes, Timestamp: testNow}})
	}
}

func latestDeployment(t *testing.T, h *schedtest.Harness, job *nomadlike.Job) *nomadlike.Deployment {
	t.Helper()
	d, err := h.Store.LatestDeploymentByJob(nil, job.Namespace, job.ID)
	if err != nil || d == nil {
		t.Fatalf("LatestDeploymentByJob = %v, %v", d, err)
	}
	return d
}

func evalAgain(t *testing.T, h *schedtest.Harness, job *nomadlike.Job) {
	t.Helper()
	if err := h.Process(testConfig(), fixture.Eval(job)); err != nil {
		t.Fatalf("Process: %v", err)
	}
}

// byVersion counts live allocations per job version.
func byVersion(h *schedtest.Harness, job *nomadlike.Job) map[uint64]int {
	out := map[uint64]int{}
	for _, a := range h.LiveAllocs(job) {
		out[a.Job.Version]++
	}
	return out
}

// startDeployed runs the job's first version and reports every allocation
// healthy; the first deployment places all at once.
func startDeployed(t *testing.T, h *schedtest.Harness, job *nomadlike.Job) *nomadlike.Job {
	t.Helper()
	stored, _ := run(t, h, job)
	live := h.LiveAllocs(stored)
	d := latestDeployment(t, h, stored)
	if len(live) != 3 || d.TaskGroups["web"].PlacedAllocs != 3 || d.JobVersion != 0 {
		t.Fatalf("first run: %d live, deployment %+v, want 3 placed at once", len(live), d.TaskGroups["web"])
	}
	for _, a := range live {
		if a.DeploymentID != d.ID {
			t.Fatalf("alloc %s DeploymentID = %q, want %q", a.Name, a.DeploymentID, d.ID)
		}
	}
	markHealthy(t, h, live...)
	if got := latestDeployment(t, h, stored).TaskGroups["web"].HealthyAllocs; got != 3 {
		t.Fatalf("HealthyAllocs = %d, want 3", got)
	}
	// The deployment watcher's part.
	if err := h.Store.UpdateDeploymentStatus(h.NextIndex(), &state.DeploymentStatusRequest{Update: &nomadlike.DeploymentStatusUpdate{
		DeploymentID: d.ID, Status: nomadlike.DeploymentStatusSuccessful}}, 0); err != nil {
		t.Fatal(err)
	}
	return stored
}

func newVersion(t *testing.T, h *schedtest.Harness, job *nomadlike.Job, canary int) *nomadlike.Job {
	t.Helper()
	next := job.Copy()
	next.TaskGroups[0].Tasks[0].Env["V"] = "2"
	next.TaskGroups[0].Update.Canary = canary
	stored := h.UpsertJob(next)
	evalAgain(t, h, stored)
	return stored
}

func TestDeployRollingUpdateMaxParallel(t *testing.T) {
	h := schedtest.New(t)
	h.Usage = &scheduler.UsageCache{} // as the leader's workers: the wrapper passes deployments through
	h.AddNodes(nodes(3)...)
	v0 := startDeployed(t, h, deployJob(0))
	if j, _ := h.Store.JobByID(nil, v0.Namespace, v0.ID); !j.Stable {
		t.Fatal("job version 0 not stable after a successful deployment")
	}
	v1 := newVersion(t, h, v0, 0)
	d := latestDeployment(t, h, v1)
	if d.JobVersion != 1 || d.Status != nomadlike.DeploymentStatusRunning {
		t.Fatalf("deployment = version %d %s, want version 1 running", d.JobVersion, d.Status)
	}
	if ev := h.LastUpdate(); ev.DeploymentID != d.ID {
		t.Fatalf("eval DeploymentID = %q, want %q (Nomad's CLI follows it)", ev.DeploymentID, d.ID)
	}
	for step := 1; step <= 3; step++ {
		got := byVersion(h, v1)
		if got[1] != step || got[0] != 3-step {
			t.Fatalf("step %d: live by version = %v, want %d new and %d old", step, got, step, 3-step)
		}
		evalAgain(t, h, v1) // nothing healthy yet: nothing moves
		if again := byVersion(h, v1); again[1] != step {
			t.Fatalf("step %d: an eval before the new alloc is healthy moved the rollout: %v", step, again)
		}
		var fresh []*nomadlike.Allocation
		for _, a := range h.LiveAllocs(v1) {
			if a.Job.Version == 1 && !a.DeploymentStatus.IsHealthy() {
				fresh = append(fresh, a)
			}
		}
		if len(fresh) != 1 || fresh[0].DeploymentID != d.ID {
			t.Fatalf("step %d: %d unhealthy new allocs (want 1 in deployment %s)", step, len(fresh), d.ID)
		}
		markHealthy(t, h, fresh...)
		evalAgain(t, h, v1)
	}
	if got := latestDeployment(t, h, v1).TaskGroups["web"]; got.HealthyAllocs != 3 || got.PlacedAllocs != 3 {
		t.Fatalf("deployment group = %+v, want 3 placed and healthy", got)
	}
}

func TestDeployCanaryWaitsForPromotion(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(4)...)
	v0 := startDeployed(t, h, deployJob(0))
	v1 := newVersion(t, h, v0, 1)
	d := latestDeployment(t, h, v1)
	g := d.TaskGroups["web"]
	if g.DesiredCanaries != 1 || len(g.PlacedCanaries) != 1 || d.StatusDescription != nomadlike.DeploymentDescRunningNeedsPromote {
		t.Fatalf("deployment = %+v (%s), want 1 canary placed, needing promotion", g, d.StatusDescription)
	}
	if got := byVersion(h, v1); got[0] != 3 || got[1] != 1 {
		t.Fatalf("live by version = %v, want 3 old beside 1 canary", got)
	}
	canary, err := h.Store.AllocByID(nil, g.PlacedCanaries[0])
	if err != nil || !canary.DeploymentStatus.IsCanary() {
		t.Fatalf("canary alloc = %+v, %v", canary, err)
	}
	markHealthy(t, h, canary)
	evalAgain(t, h, v1)
	if got := byVersion(h, v1); got[0] != 3 || got[1] != 1 {
		t.Fatalf("before promotion: live by version = %v, want unchanged", got)
	}
	if err := h.Store.UpdateDeploymentPromotion(h.NextIndex(), &state.DeploymentPromoteRequest{DeploymentID: d.ID, All: true}, 0); err != nil {
		t.Fatalf("promote: %v", err)
	}
	evalAgain(t, h, v1)
	// The old alloc the canary stands for stops; one more is replaced.
	if got := byVersion(h, v1); got[0] != 1 || got[1] != 2 {
		t.Fatalf("after promotion: live by version = %v, want 1 old and 2 new", got)
	}
}

func TestDeployNewVersionCancelsRunningDeployment(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(3)...)
	v0 := startDeployed(t, h, deployJob(0))
	v1 := newVersion(t, h, v0, 0)
	d1 := latestDeployment(t, h, v1)
	next := v1.Copy()
	next.TaskGroups[0].Tasks[0].Env["V"] = "3"
	v2 := h.UpsertJob(next)
	evalAgain(t, h, v2)
	old, _ := h.Store.DeploymentByID(nil, d1.ID)
	if old.Status != nomadlike.DeploymentStatusCancelled || old.StatusDescription != nomadlike.DeploymentDescNewerJob {
		t.Fatalf("old deployment = %s %q, want cancelled", old.Status, old.StatusDescription)
	}
	if d2 := latestDeployment(t, h, v2); d2.JobVersion != 2 || d2.ID == d1.ID {
		t.Fatalf("latest deployment = %+v, want a new one for version 2", d2)
	}
}
