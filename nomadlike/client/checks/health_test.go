package checks

import (
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// TestHealthMachine drives the machine with a fake clock: each step is
// (seconds since start, observation) and the verdict expected after it.
func TestHealthMachine(t *testing.T) {
	ok := Observation{TasksRunning: true, ChecksHealthy: true}
	noChecks := Observation{TasksRunning: true}
	failed := Observation{TaskFailed: true}
	type step struct {
		at      int
		o       Observation
		decided bool
		healthy bool
	}
	tests := []struct {
		name  string
		mode  string
		steps []step
	}{
		{"healthy after min_healthy_time", HealthChecks, []step{{0, ok, false, false}, {9, ok, false, false}, {10, ok, true, true}}},
		{"check failure resets min_healthy_time", HealthChecks, []step{{0, ok, false, false}, {5, noChecks, false, false}, {12, ok, false, false}, {22, ok, true, true}}},
		{"task_states ignores checks", HealthTaskStates, []step{{0, noChecks, false, false}, {10, noChecks, true, true}}},
		{"deadline passes unhealthy", HealthChecks, []step{{0, noChecks, false, false}, {59, noChecks, false, false}, {60, noChecks, true, false}}},
		{"task failure unhealthy at once", HealthChecks, []step{{0, ok, false, false}, {1, failed, true, false}}},
	}
	start := time.Unix(5000, 0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &HealthMachine{Mode: tc.mode, MinHealthyTime: 10 * time.Second, HealthyDeadline: time.Minute, Start: start}
			for i, s := range tc.steps {
				decided, healthy, wake := h.Step(start.Add(time.Duration(s.at)*time.Second), s.o)
				if decided != s.decided || healthy != s.healthy {
					t.Fatalf("step %d (t=%ds): decided=%v healthy=%v, want %v %v", i, s.at, decided, healthy, s.decided, s.healthy)
				}
				if !decided && wake.IsZero() {
					t.Fatalf("step %d: undecided without a wake time", i)
				}
			}
		})
	}
}

func TestHealthWatcherReportsOnce(t *testing.T) {
	u := &nomadlike.UpdateStrategy{HealthCheck: HealthChecks, MinHealthyTime: 20 * time.Millisecond, HealthyDeadline: time.Minute}
	verdicts := make(chan bool, 4)
	w := NewHealthWatcher(u, nil, func() Observation { return Observation{TasksRunning: true, ChecksHealthy: true} },
		func(h bool, _ time.Time) { verdicts <- h })
	w.Start()
	poll.Until(t, 10*time.Second, "a verdict", func() (bool, string) { return len(verdicts) == 1, "no verdict" })
	w.Stop()
	if len(verdicts) != 1 || !<-verdicts {
		t.Fatal("want exactly one healthy verdict")
	}
	if NewHealthWatcher(&nomadlike.UpdateStrategy{HealthCheck: HealthManual}, nil, nil, nil) != nil {
		t.Fatal("manual health must not be watched")
	}
}

func TestHealthWatcherStopAfterTaskFailure(t *testing.T) {
	u := &nomadlike.UpdateStrategy{HealthCheck: HealthTaskStates, MinHealthyTime: time.Hour, HealthyDeadline: 2 * time.Hour}
	verdicts := make(chan bool, 4)
	failed := false
	w := NewHealthWatcher(u, nil, func() Observation { return Observation{TasksRunning: !failed, TaskFailed: failed} },
		func(h bool, _ time.Time) { verdicts <- h })
	w.Start()
	w.Stop()
	if len(verdicts) != 0 {
		t.Fatal("verdict before anything failed")
	}
	w = NewHealthWatcher(u, nil, func() Observation { return Observation{TaskFailed: true} }, func(h bool, _ time.Time) { verdicts <- h })
	w.Start()
	w.Stop()
	if len(verdicts) != 1 || <-verdicts {
		t.Fatal("want one unhealthy verdict")
	}
}
