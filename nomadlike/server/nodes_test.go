package server

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestHeartbeatExpiryMarksAllocsLost(t *testing.T) {
	cfg := testConfig(t)
	cfg.HeartbeatMinTTL = 50 * time.Millisecond
	cfg.HeartbeatGrace = 0
	s := startServer(t, cfg)
	waitLeader(t, s)
	node := registerNodes(t, s, 1, nil)[0]
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	// Keep the node alive until the allocations are placed.
	poll.Until(t, 10*time.Second, "placements", func() (bool, string) {
		if _, _, err := s.NodeHeartbeat(node.ID, node.SecretID, nomadlike.NodeStatusReady, "127.0.0.1"); err != nil {
			return false, err.Error()
		}
		n := len(liveAllocs(t, s, job))
		return n == 2, fmt.Sprintf("%d live", n)
	})
	placed := liveAllocs(t, s, job)
	// Now silence: the TTL runs out.
	poll.Until(t, 10*time.Second, "node down and allocs lost", func() (bool, string) {
		n, _ := s.State().NodeByID(nil, node.ID)
		if n.Status != nomadlike.NodeStatusDown {
			return false, "node status " + n.Status
		}
		for _, p := range placed {
			a, _ := s.State().AllocByID(nil, p.ID)
			if a.ClientStatus != nomadlike.AllocClientStatusLost || a.DesiredStatus != nomadlike.AllocDesiredStatusStop {
				return false, fmt.Sprintf("alloc %s is %s/%s", a.ID, a.DesiredStatus, a.ClientStatus)
			}
		}
		return true, ""
	})
	evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
	found := false
	for _, e := range evals {
		if e.TriggeredBy == nomadlike.EvalTriggerNodeUpdate && e.NodeID == node.ID {
			found = true
		}
	}
	if !found {
		t.Fatalf("no node-update eval for job %s after its node went down", job.ID)
	}
	// The node comes back: it is ready again and gets a TTL.
	ttl, _, err := s.NodeHeartbeat(node.ID, node.SecretID, nomadlike.NodeStatusReady, "127.0.0.1")
	if err != nil || ttl < cfg.HeartbeatMinTTL {
		t.Fatalf("NodeHeartbeat after down = %v, %v; want ttl >= %v", ttl, err, cfg.HeartbeatMinTTL)
	}
	if n, _ := s.State().NodeByID(nil, node.ID); n.Status != nomadlike.NodeStatusReady {
		t.Fatalf("node status after heartbeat = %s, want ready", n.Status)
	}
}

func TestHeartbeatTTLGrowsWithNodes(t *testing.T) {
	cfg := testConfig(t)
	cfg.HeartbeatMinTTL = time.Second
	cfg.MaxHeartbeatsPerSecond = 1
	s := startServer(t, cfg)
	waitLeader(t, s)
	var last time.Duration
	for i := 0; i < 5; i++ {
		ttl, _, err := s.RegisterNode(fixture.Node(), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		last = ttl
	}
	// 5 nodes at 1 heartbeat/s: base 4-5s (timers counted before this one),
	// plus up to as much stagger.
	if last < 4*time.Second || last >= 10*time.Second {
		t.Fatalf("TTL with 5 nodes at 1/s = %v, want in [4s, 10s)", last)
	}
}

func TestRegisterNodeSecretMismatch(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	n := registerNodes(t, s, 1, nil)[0]
	imposter := n.Copy()
	imposter.SecretID = nomadlike.GenerateUUID()
	if _, _, err := s.RegisterNode(imposter, "127.0.0.1"); !errors.Is(err, nomadlike.ErrPermission) {
		t.Fatalf("RegisterNode with another secret = %v, want ErrPermission", err)
	}
	if _, _, err := s.NodeHeartbeat("missing", "x", "", "127.0.0.1"); !errors.Is(err, nomadlike.ErrNotFound) {
		t.Fatalf("NodeHeartbeat(unknown) = %v, want ErrNotFound", err)
	}
}

// TestNodeCallsNeedSecret: heartbeats and allocation updates are refused,
// writing nothing, without the node's secret; a node reports only its own
// allocations; the source addresses of registrations and heartbeats are
// recorded, not taken from the client.
func TestNodeCallsNeedSecret(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	nodes := registerNodes(t, s, 2, func(n *nomadlike.Node) { n.RegisteredFrom, n.HeartbeatFrom = "10.9.9.9", "10.9.9.9" })
	victim, other := nodes[0], nodes[1]
	job := fixture.Job()
	job.TaskGroups[0].Count = 1
	job.Constraints = append(job.Constraints, &nomadlike.Constraint{LTarget: "${node.unique.id}", RTarget: victim.ID, Operand: "="})
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "placement", func() (bool, string) {
		return len(liveAllocs(t, s, job)) == 1, "not placed"
	})
	alloc := liveAllocs(t, s, job)[0]
	fail := []*nomadlike.Allocation{{ID: alloc.ID, ClientStatus: nomadlike.AllocClientStatusFailed}}
	for name, secret := range map[string]string{"none": "", "wrong": nomadlike.GenerateUUID(), "other node's": other.SecretID} {
		if _, err := s.UpdateAllocsFromClient(secret, fail); !errors.Is(err, nomadlike.ErrPermission) {
			t.Errorf("UpdateAllocsFromClient(%s secret) = %v, want ErrPermission", name, err)
		}
		if _, _, err := s.NodeHeartbeat(victim.ID, secret, "", "10.0.0.1"); !errors.Is(err, nomadlike.ErrPermission) {
			t.Errorf("NodeHeartbeat(%s secret) = %v, want ErrPermission", name, err)
		}
	}
	if a, _ := s.State().AllocByID(nil, alloc.ID); a.ClientStatus == nomadlike.AllocClientStatusFailed {
		t.Fatalf("allocation marked failed without the node's secret")
	}
	n, _ := s.State().NodeByID(nil, victim.ID)
	if n.RegisteredFrom != "127.0.0.1" || n.HeartbeatFrom != "127.0.0.1" {
		t.Fatalf("addresses after register = %q, %q; want the source 127.0.0.1, not the client's", n.RegisteredFrom, n.HeartbeatFrom)
	}
	if _, _, err := s.NodeHeartbeat(victim.ID, victim.SecretID, "", "10.0.0.7"); err != nil {
		t.Fatalf("NodeHeartbeat(secret) = %v", err)
	}
	if n, _ = s.State().NodeByID(nil, victim.ID); n.RegisteredFrom != "127.0.0.1" || n.HeartbeatFrom != "10.0.0.7" {
		t.Fatalf("addresses after a heartbeat from 10.0.0.7 = %q, %q", n.RegisteredFrom, n.HeartbeatFrom)
	}
	if _, err := s.UpdateAllocsFromClient(victim.SecretID, []*nomadlike.Allocation{{ID: alloc.ID, ClientStatus: nomadlike.AllocClientStatusRunning}}); err != nil {
		t.Fatalf("UpdateAllocsFromClient(node's secret) = %v", err)
	}
}

// TestBlockedEvalUnblocksOnNewNode fills the cluster, so the job blocks,
// then adds a node: the blocked evaluation runs and places the rest.
func TestBlockedEvalUnblocksOnNewNode(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 1, nil) // 4000 MHz
	job := fixture.Job()
	job.TaskGroups[0].Count = 4
	job.TaskGroups[0].Tasks[0].Resources.CPU = 1500 // two per node
	evalID, _, _, err := s.RegisterJob(job, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "a blocked eval", func() (bool, string) {
		e, _ := s.State().EvalByID(nil, evalID)
		if e == nil || e.BlockedEval == "" {
			return false, "no blocked eval yet"
		}
		b, _ := s.State().EvalByID(nil, e.BlockedEval)
		return b != nil && s.blocked.Get(job.Namespace, job.ID) != nil, "blocked eval not tracked"
	})
	if n := len(liveAllocs(t, s, job)); n != 2 {
		t.Fatalf("placed %d before the new node, want 2", n)
	}
	registerNodes(t, s, 1, nil)
	poll.Until(t, 10*time.Second, "all 4 placed", func() (bool, string) {
		n := len(liveAllocs(t, s, job))
		return n == 4, fmt.Sprintf("%d live", n)
	})
}

// TestClientFailureReschedules reports a failed allocation; the job's
// reschedule policy makes the server create an evaluation that replaces it.
func TestClientFailureReschedules(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 2, nil)
	job := fixture.BatchJob(1)
	job.TaskGroups[0].ReschedulePolicy = &nomadlike.ReschedulePolicy{Attempts: 3, Interval: time.Hour, DelayFunction: nomadlike.DelayFunctionConstant}
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "placement", func() (bool, string) {
		return len(liveAllocs(t, s, job)) == 1, "not placed"
	})
	first := liveAllocs(t, s, job)[0]
	index, err := s.UpdateAllocsFromClient(secretOf(t, s, first.NodeID), []*nomadlike.Allocation{{ID: first.ID, ClientStatus: nomadlike.AllocClientStatusFailed}})
	if err != nil || index == 0 {
		t.Fatalf("UpdateAllocsFromClient = %d, %v", index, err)
	}
	poll.Until(t, 10*time.Second, "replacement", func() (bool, string) {
		live := liveAllocs(t, s, job)
		return len(live) == 1 && live[0].ID != first.ID, fmt.Sprintf("%d live", len(live))
	})
	evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
	found := false
	for _, e := range evals {
		found = found || e.TriggeredBy == nomadlike.EvalTriggerRetryFailedAlloc
	}
	if !found {
		t.Fatal("no alloc-failure evaluation")
	}
}

func TestClientUpdatesAreBatched(t *testing.T) {
	cfg := testConfig(t)
	s := startServer(t, cfg)
	waitLeader(t, s)
	registerNodes(t, s, 1, nil)
	job := fixture.BatchJob(3)
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "placements", func() (bool, string) {
		return len(liveAllocs(t, s, job)) == 3, "not placed"
	})
	live := liveAllocs(t, s, job)
	// An idle batcher writes an update at once, whatever the window.
	s.cfg.ClientUpdateBatch = time.Hour
	if _, err := s.UpdateAllocsFromClient(secretOf(t, s, live[0].NodeID), []*nomadlike.Allocation{{ID: live[0].ID, ClientStatus: nomadlike.AllocClientStatusPending}}); err != nil {
		t.Fatal(err)
	}
	// While a write is in progress (the test holds the writer's place)
	// updates are collected; the test flushes them.
	s.batcher.mu.Lock()
	s.batcher.busy = true
	s.batcher.mu.Unlock()
	indexes := make(chan uint64, len(live))
	secret := secretOf(t, s, live[0].NodeID)
	for _, a := range live {
		go func(id string) {
			i, err := s.UpdateAllocsFromClient(secret, []*nomadlike.Allocation{{ID: id, ClientStatus: nomadlike.AllocClientStatusRunning}})
			if err != nil {
				t.Error(err)
			}
			indexes <- i
		}(a.ID)
	}
	poll.Until(t, 10*time.Second, "three updates in the batch", func() (bool, string) {
		s.batcher.mu.Lock()
		defer s.batcher.mu.Unlock()
		n := 0
		if s.batcher.cur != nil {
			n = len(s.batcher.cur.items)
		}
		return n == len(live), fmt.Sprintf("%d queued", n)
	})
	before, _ := s.State().LatestIndex()
	s.batcher.flush()
	s.batcher.mu.Lock()
	s.batcher.busy = false
	s.batcher.mu.Unlock()
	for range live {
		if i := <-indexes; i != before+1 {
			t.Fatalf("update committed at index %d, want all at the single batch entry %d", i, before+1)
		}
	}
	for _, a := range live {
		got, _ := s.State().AllocByID(nil, a.ID)
		if got.ClientStatus != nomadlike.AllocClientStatusRunning {
			t.Fatalf("alloc %s client status %s, want running", a.ID, got.ClientStatus)
		}
	}
}

func TestForcedDrainMigrates(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	nodes := registerNodes(t, s, 1, nil)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "placements", func() (bool, string) {
		return len(liveAllocs(t, s, job)) == 2, "not placed"
	})
	other := registerNodes(t, s, 1, nil)[0]
	if _, err := s.UpdateNodeDrain(nodes[0].ID, &nomadlike.DrainStrategy{Deadline: -1}, false); err != nil {
		t.Fatalf("UpdateNodeDrain: %v", err)
	}
	poll.Until(t, 10*time.Second, "allocs moved to the other node", func() (bool, string) {
		live := liveAllocs(t, s, job)
		for _, a := range live {
			if a.NodeID != other.ID {
				return false, "alloc still on drained node"
			}
		}
		return len(live) == 2, fmt.Sprintf("%d live", len(live))
	})
	poll.Until(t, 10*time.Second, "drain complete", func() (bool, string) {
		n, _ := s.State().NodeByID(nil, nodes[0].ID)
		return n.DrainStrategy == nil && n.SchedulingEligibility == nomadlike.NodeSchedulingIneligible,
			fmt.Sprintf("drain %v eligibility %s", n.DrainStrategy, n.SchedulingEligibility)
	})
	if _, err := s.UpdateNodeEligibility(nodes[0].ID, nomadlike.NodeSchedulingEligible); err != nil {
		t.Fatalf("UpdateNodeEligibility: %v", err)
	}
	if n, _ := s.State().NodeByID(nil, nodes[0].ID); n.SchedulingEligibility != nomadlike.NodeSchedulingEligible {
		t.Fatalf("eligibility = %s, want eligible", n.SchedulingEligibility)
	}
}

func TestStopAllocReplaces(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 2, nil)
	job := fixture.Job()
	job.TaskGroups[0].Count = 1
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "placement", func() (bool, string) {
		return len(liveAllocs(t, s, job)) == 1, "not placed"
	})
	first := liveAllocs(t, s, job)[0]
	evalID, _, err := s.StopAlloc(first.ID)
	if err != nil || evalID == "" {
		t.Fatalf("StopAlloc = %q, %v", evalID, err)
	}
	poll.Until(t, 10*time.Second, "replacement", func() (bool, string) {
		live := liveAllocs(t, s, job)
		return len(live) == 1 && live[0].ID != first.ID, fmt.Sprintf("%d live", len(live))
	})
	if _, _, err := s.StopAlloc("nope"); !errors.Is(err, nomadlike.ErrNotFound) {
		t.Fatalf("StopAlloc(unknown) = %v, want ErrNotFound", err)
	}
}

func TestPlanJobDryRun(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	registerNodes(t, s, 2, nil)
	job := fixture.Job()
	before, _ := s.State().LatestIndex()
	resp, err := s.PlanJob(job, true)
	if err != nil {
		t.Fatalf("PlanJob: %v", err)
	}
	if after, _ := s.State().LatestIndex(); after != before {
		t.Fatalf("PlanJob wrote to the state: index %d -> %d", before, after)
	}
	tg := job.TaskGroups[0].Name
	if resp.Annotations == nil || resp.Annotations.DesiredTGUpdates[tg] == nil || resp.Annotations.DesiredTGUpdates[tg].Place != 3 {
		t.Fatalf("annotations = %+v, want 3 placements for %s", resp.Annotations, tg)
	}
	if resp.Diff == nil || resp.Diff.Type != DiffAdded {
		t.Fatalf("diff of a new job = %+v, want Added", resp.Diff)
	}
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "placements", func() (bool, string) {
		return len(liveAllocs(t, s, job)) == 3, "not placed"
	})

	cases := []struct {
		name     string
		mutate   func(*nomadlike.Job)
		diffType string
		place    uint64
		failed   bool
	}{
		{"unchanged", func(*nomadlike.Job) {}, DiffNone, 0, false},
		{"scale up", func(j *nomadlike.Job) { j.TaskGroups[0].Count = 5 }, DiffEdited, 2, false},
		{"too big", func(j *nomadlike.Job) { j.TaskGroups[0].Count = 40 }, DiffEdited, 37, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := job.Copy()
			tc.mutate(j)
			resp, err := s.PlanJob(j, true)
			if err != nil {
				t.Fatalf("PlanJob: %v", err)
			}
			if resp.Diff.Type != tc.diffType {
				t.Fatalf("diff type = %s, want %s (%+v)", resp.Diff.Type, tc.diffType, resp.Diff)
			}
			if got := resp.Annotations.DesiredTGUpdates[tg].Place; got != tc.place {
				t.Fatalf("planned placements = %d, want %d", got, tc.place)
			}
			if (len(resp.FailedTGAllocs) > 0) != tc.failed {
				t.Fatalf("FailedTGAllocs = %v, want failures %v", resp.FailedTGAllocs, tc.failed)
			}
		})
	}
}
