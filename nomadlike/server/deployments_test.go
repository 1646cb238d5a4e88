package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestPlanJobShowsRollingBatch: job plan of a change to a job with an
// update block shows the first max_parallel replacements, as the
// scheduler will make them, and the rest ignored for now.
func TestPlanJobShowsRollingBatch(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 3, nil)
	job := fixture.Job()
	job.TaskGroups[0].Update = &nomadlike.UpdateStrategy{MaxParallel: 1, HealthCheck: nomadlike.UpdateHealthCheckManual,
		HealthyDeadline: time.Minute, ProgressDeadline: 10 * time.Minute}
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "3 placements in a deployment", func() (bool, string) {
		d, _ := s.State().LatestDeploymentByJob(nil, job.Namespace, job.ID)
		return d != nil && d.TaskGroups["web"].PlacedAllocs == 3, fmt.Sprintf("deployment %+v", d)
	})
	next := job.Copy()
	next.TaskGroups[0].Tasks[0].Env["V"] = "2"
	resp, err := s.PlanJob(next, false)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Annotations.DesiredTGUpdates["web"]
	if got.DestructiveUpdate != 1 || got.Ignore != 2 {
		t.Fatalf("plan = %+v, want 1 destructive update and 2 ignored (max_parallel 1)", got)
	}
}
