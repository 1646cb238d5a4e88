package server

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// holdFirstPlan is a Config.EntryApplier that holds the first plan entry
// until release is closed, and counts the plans of every plan entry.
type holdFirstPlan struct {
	s       *Server
	release chan struct{}
	mu      sync.Mutex
	held    bool
	plans   []int // plans per plan entry, in order
}

func (h *holdFirstPlan) Apply(cmd []byte, timeout time.Duration) raft.ApplyFuture {
	t := fsm.MessageType(cmd[0])
	if t == fsm.PlanResultsEntryType || t == fsm.PlanResultsBatchType {
		n := 1
		if t == fsm.PlanResultsBatchType {
			var b fsm.PlanResultsBatch
			if err := json.Unmarshal(cmd[1:], &b); err != nil {
				return failedFuture{err}
			}
			n = len(b.Plans)
		}
		h.mu.Lock()
		first := !h.held
		h.held = true
		h.plans = append(h.plans, n)
		h.mu.Unlock()
		if first {
			<-h.release
		}
	}
	return h.s.raft.Apply(cmd, timeout)
}

func (h *holdFirstPlan) planCounts() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.plans...)
}

// TestWorkersPipelineAndGroupCommit: with ONE scheduler slot, evaluations
// that wait for their plan's commit give the slot up, so EvalsPerScheduler
// plans wait in the plan applier's queue while the first commit is held,
// and they are then committed together in one raft entry. Before, one
// worker had one evaluation in flight and every plan was an entry of its
// own. Every job is placed and every evaluation completes.
func TestWorkersPipelineAndGroupCommit(t *testing.T) {
	cfg := testConfig(t)
	cfg.NumSchedulers = 1
	h := &holdFirstPlan{release: make(chan struct{})}
	cfg.EntryApplier = h
	s := startServer(t, cfg)
	h.s = s
	released := false
	t.Cleanup(func() {
		if !released {
			close(h.release)
		}
	})
	waitLeader(t, s)
	registerNodes(t, s, 4, nil)
	var jobs []*nomadlike.Job
	for i := 0; i < EvalsPerScheduler; i++ {
		j := fixture.BatchJob(1)
		if _, _, _, err := s.RegisterJob(j, false, 0); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	poll.Until(t, 10*time.Second, "the other plans to queue behind the held commit", func() (bool, string) {
		st := s.applier.Stats()
		return st.Pending == EvalsPerScheduler-1, fmt.Sprintf("plan applier %+v", st)
	})
	close(h.release)
	released = true
	poll.Until(t, 10*time.Second, "every job placed and evaluated", func() (bool, string) {
		for _, j := range jobs {
			allocs, err := s.State().AllocsByJob(nil, j.Namespace, j.ID)
			if err != nil || len(allocs) != 1 {
				return false, fmt.Sprintf("job %s: %d allocations (%v)", j.ID, len(allocs), err)
			}
			evals, err := s.State().EvalsByJob(nil, j.Namespace, j.ID)
			if err != nil || len(evals) != 1 || evals[0].Status != nomadlike.EvalStatusComplete {
				return false, fmt.Sprintf("job %s: evaluations %v (%v)", j.ID, evals, err)
			}
		}
		return true, ""
	})
	if got := h.planCounts(); fmt.Sprint(got) != fmt.Sprint([]int{1, EvalsPerScheduler - 1}) {
		t.Fatalf("plans per raft entry = %v, want [1 %d]", got, EvalsPerScheduler-1)
	}
}
