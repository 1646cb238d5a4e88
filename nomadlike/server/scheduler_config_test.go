package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestSchedulerAlgorithmReachesWorkers: a batch job of 4 small allocations
// on 4 empty nodes is packed onto one node by default (binpack) and put on
// 4 nodes once the stored configuration says spread.
func TestSchedulerAlgorithmReachesWorkers(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 4, nil)
	nodesUsed := func(algorithm string) int {
		t.Helper()
		job := fixture.Job()
		job.ID = "batch-" + algorithm
		job.Type = nomadlike.JobTypeBatch
		job.TaskGroups[0].Count = 4
		if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
			t.Fatalf("RegisterJob: %v", err)
		}
		poll.Until(t, 10*time.Second, "4 placements", func() (bool, string) {
			live := liveAllocs(t, s, job)
			return len(live) == 4, fmt.Sprintf("%d live allocs", len(live))
		})
		used := map[string]bool{}
		for _, a := range liveAllocs(t, s, job) {
			used[a.NodeID] = true
		}
		if _, _, err := s.DeregisterJob(job.Namespace, job.ID, true); err != nil {
			t.Fatalf("DeregisterJob: %v", err)
		}
		poll.Until(t, 10*time.Second, "allocations stopped", func() (bool, string) {
			live := liveAllocs(t, s, job)
			return len(live) == 0, fmt.Sprintf("%d live allocs", len(live))
		})
		return len(used)
	}
	if n := nodesUsed("binpack"); n != 1 {
		t.Errorf("binpack (default) used %d nodes for 4 small allocations, want 1", n)
	}
	updated, _, err := s.SetSchedulerConfig(&nomadlike.SchedulerConfiguration{SchedulerAlgorithm: nomadlike.SchedulerAlgorithmSpread}, false, 0)
	if err != nil || !updated {
		t.Fatalf("SetSchedulerConfig(spread) = %v, %v", updated, err)
	}
	if n := nodesUsed("spread"); n != 4 {
		t.Errorf("spread used %d nodes for 4 small allocations, want 4", n)
	}
}
