package checks

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestHealthStrategyOf: an allocation of a deployment is judged by the
// update block; any other allocation of a service job by the group's
// migrate block (the node drainer waits on that verdict); batch and
// system allocations get no health tracking.
func TestHealthStrategyOf(t *testing.T) {
	update := &nomadlike.UpdateStrategy{MaxParallel: 1, HealthCheck: HealthChecks, MinHealthyTime: 30 * time.Second, HealthyDeadline: 10 * time.Minute}
	migrate := &nomadlike.MigrateStrategy{MaxParallel: 2, HealthCheck: HealthTaskStates, MinHealthyTime: time.Second, HealthyDeadline: time.Minute}
	job := func(typ string, m *nomadlike.MigrateStrategy) *nomadlike.Job {
		return &nomadlike.Job{ID: "web", Type: typ, TaskGroups: []*nomadlike.TaskGroup{{Name: "g", Update: update, Migrate: m}}}
	}
	cases := []struct {
		name       string
		job        *nomadlike.Job
		deployment string
		want       *nomadlike.UpdateStrategy
	}{
		{name: "deployment", job: job(nomadlike.JobTypeService, migrate), deployment: "d1", want: update},
		{name: "service outside a deployment", job: job(nomadlike.JobTypeService, migrate),
			want: &nomadlike.UpdateStrategy{HealthCheck: HealthTaskStates, MinHealthyTime: time.Second, HealthyDeadline: time.Minute}},
		{name: "service without a migrate block", job: job(nomadlike.JobTypeService, nil),
			want: &nomadlike.UpdateStrategy{HealthCheck: HealthChecks, MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute}},
		{name: "batch", job: job(nomadlike.JobTypeBatch, migrate)},
		{name: "system", job: job(nomadlike.JobTypeSystem, migrate)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &nomadlike.Allocation{Job: tc.job, TaskGroup: "g", DeploymentID: tc.deployment}
			got := HealthStrategyOf(a, tc.job.TaskGroups[0])
			switch {
			case tc.want == nil && got != nil:
				t.Fatalf("HealthStrategyOf = %+v, want nil", got)
			case tc.want != nil && (got == nil || *got != *tc.want):
				t.Fatalf("HealthStrategyOf = %+v, want %+v", got, tc.want)
			}
		})
	}
	// The migrate parameters drive the health machine as the update
	// block's do: healthy once running for min_healthy_time.
	a := &nomadlike.Allocation{Job: job(nomadlike.JobTypeService, migrate), TaskGroup: "g"}
	s := HealthStrategyOf(a, a.Job.TaskGroups[0])
	start := time.Unix(1000, 0)
	m := HealthMachine{Mode: s.HealthCheck, MinHealthyTime: s.MinHealthyTime, HealthyDeadline: s.HealthyDeadline, Start: start}
	running := Observation{TasksRunning: true} // task_states: checks do not count
	if decided, _, _ := m.Step(start, running); decided {
		t.Fatal("decided before min_healthy_time")
	}
	if decided, healthy, _ := m.Step(start.Add(time.Second), running); !decided || !healthy {
		t.Fatalf("after min_healthy_time: decided %v healthy %v, want healthy", decided, healthy)
	}
	late := HealthMachine{Mode: s.HealthCheck, MinHealthyTime: s.MinHealthyTime, HealthyDeadline: s.HealthyDeadline, Start: start}
	if decided, healthy, _ := late.Step(start.Add(time.Minute), Observation{}); !decided || healthy {
		t.Fatalf("at healthy_deadline: decided %v healthy %v, want unhealthy", decided, healthy)
	}
}
