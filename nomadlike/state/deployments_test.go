package state

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func deployingJob() *nomadlike.Job {
	j := fixture.Job()
	j.TaskGroups[0].Update = &nomadlike.UpdateStrategy{MaxParallel: 1, Canary: 1, ProgressDeadline: time.Minute}
	return j
}

func TestDeploymentTracksAllocsAndRestores(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	must(t, s.UpsertNode(1, node))
	job := storeJob(t, s, 2, deployingJob())
	d := nomadlike.NewDeployment(job, time.Unix(0, 0))
	d.TaskGroups["web"].DesiredCanaries = 1
	a := fixture.Alloc(job, node, 0)
	a.DeploymentID = d.ID
	a.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Canary: true}
	a.CreateTime = time.Unix(100, 0).UnixNano()
	must(t, s.UpsertPlanResults(3, &ApplyPlanResultsRequest{Job: job, Deployment: d, AllocsUpdated: []*nomadlike.Allocation{a}}))

	got, err := s.DeploymentByID(nil, d.ID)
	must(t, err)
	g := got.TaskGroups["web"]
	if g.PlacedAllocs != 1 || !reflect.DeepEqual(g.PlacedCanaries, []string{a.ID}) || !g.RequireProgressBy.Equal(time.Unix(160, 0)) {
		t.Fatalf("after placement group = %+v, want 1 placed canary, progress by 160s", g)
	}
	// Promotion needs healthy canaries.
	err = s.UpdateDeploymentPromotion(4, &DeploymentPromoteRequest{DeploymentID: d.ID, All: true}, 0)
	if !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("promote with an unhealthy canary = %v, want ErrValidation", err)
	}
	yes := true
	must(t, s.UpdateAllocsFromClient(5, []*nomadlike.Allocation{{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning,
		DeploymentStatus: &nomadlike.AllocDeploymentStatus{Healthy: &yes, Timestamp: time.Unix(200, 0)}}}))
	stored, _ := s.AllocByID(nil, a.ID)
	if !stored.DeploymentStatus.IsHealthy() || !stored.DeploymentStatus.IsCanary() {
		t.Fatalf("alloc deployment status = %+v, want healthy canary", stored.DeploymentStatus)
	}
	must(t, s.UpdateDeploymentPromotion(6, &DeploymentPromoteRequest{DeploymentID: d.ID, All: true}, 0))
	must(t, s.UpdateDeploymentStatus(7, &DeploymentStatusRequest{Update: &nomadlike.DeploymentStatusUpdate{
		DeploymentID: d.ID, Status: nomadlike.DeploymentStatusSuccessful, StatusDescription: nomadlike.DeploymentDescSuccessful}}, 0))
	got, _ = s.DeploymentByID(nil, d.ID)
	g = got.TaskGroups["web"]
	if g.HealthyAllocs != 1 || !g.Promoted || got.Status != nomadlike.DeploymentStatusSuccessful || !g.RequireProgressBy.Equal(time.Unix(260, 0)) {
		t.Fatalf("deployment = %s %+v, want successful, promoted, 1 healthy, progress by 260s", got.Status, g)
	}
	if j, _ := s.JobByID(nil, job.Namespace, job.ID); !j.Stable {
		t.Fatal("job not marked stable by its successful deployment")
	}

	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := RestoreFrom(&buf)
	must(t, err)
	back, err := restored.DeploymentByID(nil, d.ID)
	must(t, err)
	if !reflect.DeepEqual(back, got) {
		t.Fatalf("restored deployment = %+v, want %+v", back, got)
	}
	if list, _ := restored.DeploymentsByJob(nil, job.Namespace, job.ID); len(list) != 1 {
		t.Fatalf("restored deployments of job = %d, want 1", len(list))
	}
	must(t, restored.DeleteJob(8, job.Namespace, job.ID))
	if back, _ := restored.DeploymentByID(nil, d.ID); back != nil {
		t.Fatal("a purged job's deployment stayed")
	}
}

func TestDeploymentAllocHealthRejectsForeignAlloc(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	must(t, s.UpsertNode(1, node))
	job := storeJob(t, s, 2, deployingJob())
	d := nomadlike.NewDeployment(job, time.Unix(0, 0))
	must(t, s.UpsertDeployment(3, d))
	a := fixture.Alloc(job, node, 0)
	must(t, s.UpsertAllocs(4, []*nomadlike.Allocation{a}))
	err := s.UpdateDeploymentAllocHealth(5, &DeploymentAllocHealthRequest{DeploymentID: d.ID, HealthyAllocationIDs: []string{a.ID}})
	if !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("health of an alloc outside the deployment = %v, want ErrValidation", err)
	}
}
