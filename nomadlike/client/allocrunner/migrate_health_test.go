package allocrunner

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/checks"
)

// TestMigrateHealthWithoutDeployment: an allocation of a service job that
// no deployment placed (a drain's replacement) gets its health verdict
// from the group's migrate block, not the update block (manual here,
// which would give none); the node drainer waits on it.
func TestMigrateHealthWithoutDeployment(t *testing.T) {
	h := newHarness(t)
	a := deployedAlloc(&nomadlike.UpdateStrategy{HealthCheck: checks.HealthManual, MinHealthyTime: time.Millisecond, HealthyDeadline: time.Second}, 1, nil)
	a.DeploymentID, a.DeploymentStatus = "", nil
	a.PreviousAllocation = "migrated-from"
	a.Job.Type = nomadlike.JobTypeService
	a.Job.TaskGroups[0].Migrate = &nomadlike.MigrateStrategy{MaxParallel: 1, HealthCheck: checks.HealthTaskStates,
		MinHealthyTime: 50 * time.Millisecond, HealthyDeadline: 10 * time.Second}
	h.startWithChecks(a)
	ds := waitHealth(t, h)
	if !ds.IsHealthy() || ds.Timestamp.IsZero() || ds.Canary {
		t.Fatalf("deployment status %+v, want healthy from the migrate block", ds)
	}
}
