package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestStatsCountPlansAndBlockedEvals(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 1, nil)

	fits := fixture.Job()
	if _, _, _, err := s.RegisterJob(fits, false, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a plan applied", func() (bool, string) {
		st := s.PlanStats()
		return st["applied"] >= 1, fmt.Sprintf("plan stats %v", st)
	})

	// A job that cannot fit anywhere leaves a blocked evaluation.
	huge := fixture.Job()
	huge.ID = "huge"
	huge.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 1 << 30, MemoryMB: 64}
	if _, _, _, err := s.RegisterJob(huge, false, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "one blocked eval", func() (bool, string) {
		st := s.BrokerStats()
		return st["total_blocked"] == 1, fmt.Sprintf("broker stats %v", st)
	})
	for _, k := range []string{"total_ready", "total_unacked", "total_delayed"} {
		if _, ok := s.BrokerStats()[k]; !ok {
			t.Errorf("BrokerStats() has no %q", k)
		}
	}
	if st := s.PlanStats(); st["queue_depth"] != 0 {
		t.Errorf("PlanStats() queue_depth = %d after the plans were answered, want 0", st["queue_depth"])
	}
}
