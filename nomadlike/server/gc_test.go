package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// gcServer is a leader on clock whose collector writes at most batchMax
// objects per raft entry.
func gcServer(t *testing.T, clock *fakeClock, batchMax int) *Server {
	t.Helper()
	s := clockServer(t, clock)
	s.gc.mu.Lock()
	s.gc.batchMax = batchMax
	s.gc.mu.Unlock()
	return s
}

// finishedBatchJob runs a batch job of count allocations on node and
// reports them all complete; it returns once the job is dead.
func finishedBatchJob(t *testing.T, s *Server, node *nomadlike.Node, count int) *nomadlike.Job {
	t.Helper()
	job := fixture.BatchJob(count)
	if _, _, _, err := s.RegisterJob(job, false, 0); err != nil {
		t.Fatalf("RegisterJob: %v", err)
	}
	var live []*nomadlike.Allocation
	poll.Until(t, 10*time.Second, "placements", func() (bool, string) {
		live = liveAllocs(t, s, job)
		return len(live) == count, fmt.Sprintf("%d live allocs", len(live))
	})
	var updates []*nomadlike.Allocation
	for _, a := range live {
		updates = append(updates, &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusComplete})
	}
	if _, err := s.UpdateAllocsFromClient(secretOf(t, s, node.ID), updates); err != nil {
		t.Fatalf("UpdateAllocsFromClient: %v", err)
	}
	poll.Until(t, 10*time.Second, "job dead", func() (bool, string) {
		j, _ := s.State().JobByID(nil, job.Namespace, job.ID)
		evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
		open := 0
		for _, e := range evals {
			if !e.TerminalStatus() {
				open++
			}
		}
		return j != nil && j.Status == nomadlike.JobStatusDead && open == 0, fmt.Sprintf("job %v, %d open evals", j != nil && j.Status == nomadlike.JobStatusDead, open)
	})
	return job
}

// jobObjects counts the job, its evaluations and allocations in s.
func jobObjects(t *testing.T, s *Server, job *nomadlike.Job) (jobs, evals, allocs int) {
	t.Helper()
	j, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j != nil {
		jobs = 1
	}
	es, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
	as, _ := s.State().AllocsByJob(nil, job.Namespace, job.ID)
	return jobs, len(es), len(as)
}

// TestGCThresholdsAndBatches: a finished batch job stays while younger
// than job_gc_threshold, goes with its evaluations and allocations once
// older, through entries of at most batchMax objects; the periodic
// collector does it when the clock passes job_gc_interval.
func TestGCThresholdsAndBatches(t *testing.T) {
	clock := newFakeClock(time.Now())
	s := gcServer(t, clock, 2)
	node := registerNodes(t, s, 1, nil)[0]
	job := finishedBatchJob(t, s, node, 3)
	_, evals, allocs := jobObjects(t, s, job)

	clock.Set(clock.Now().Add(time.Hour))
	st, err := s.collectGarbage(context.Background(), false)
	if err != nil {
		t.Fatalf("collectGarbage: %v", err)
	}
	if j, _, _ := jobObjects(t, s, job); j != 1 || st.Jobs != 0 {
		t.Fatalf("a job dead for 1h was collected (threshold 4h): %+v", st)
	}

	clock.Set(clock.Now().Add(4 * time.Hour)) // fires the periodic collector too
	poll.Until(t, 10*time.Second, "job collected", func() (bool, string) {
		j, e, a := jobObjects(t, s, job)
		return j+e+a == 0, fmt.Sprintf("%d jobs %d evals %d allocs left", j, e, a)
	})

	// The same through a forced collection, to count its entries.
	job2 := finishedBatchJob(t, s, node, 3)
	_, evals, allocs = jobObjects(t, s, job2)
	st, err = s.ForceGC(context.Background())
	if err != nil {
		t.Fatalf("ForceGC: %v", err)
	}
	n := 1 + evals + allocs
	if st.Jobs != 1 || st.Evals != evals || st.Allocs != allocs || st.Entries != (n+1)/2 {
		t.Fatalf("ForceGC = %+v, want 1 job, %d evals, %d allocs in %d entries of at most 2", st, evals, allocs, (n+1)/2)
	}
	if j, e, a := jobObjects(t, s, job2); j+e+a != 0 {
		t.Fatalf("after ForceGC: %d jobs %d evals %d allocs", j, e, a)
	}
}

// TestPurgeDeletesFinishedAllocsAndEvals: job stop -purge of a finished
// job removes its allocations and evaluations at once; its deregister
// evaluation goes with the next collection.
func TestPurgeDeletesFinishedAllocsAndEvals(t *testing.T) {
	clock := newFakeClock(time.Now())
	s := gcServer(t, clock, 0)
	node := registerNodes(t, s, 1, nil)[0]
	job := finishedBatchJob(t, s, node, 2)
	evalID, _, err := s.DeregisterJob(job.Namespace, job.ID, true)
	if err != nil {
		t.Fatalf("DeregisterJob: %v", err)
	}
	if _, e, a := jobObjects(t, s, job); a != 0 || e > 1 {
		t.Fatalf("after purge: %d evals, %d allocs; want at most the deregister evaluation and none", e, a)
	}
	poll.Until(t, 10*time.Second, "deregister eval complete", func() (bool, string) {
		e, _ := s.State().EvalByID(nil, evalID)
		return e == nil || e.TerminalStatus(), fmt.Sprintf("eval %+v", e)
	})
	if _, err := s.ForceGC(context.Background()); err != nil {
		t.Fatalf("ForceGC: %v", err)
	}
	if j, e, a := jobObjects(t, s, job); j+e+a != 0 {
		t.Fatalf("after purge and gc: %d jobs %d evals %d allocs", j, e, a)
	}
}

// TestGCDownNodes: a down node goes after node_gc_threshold; a ready one
// stays.
func TestGCDownNodes(t *testing.T) {
	clock := newFakeClock(time.Now())
	s := gcServer(t, clock, 0)
	nodes := registerNodes(t, s, 2, nil)
	if _, err := s.nodeDown(nodes[0].ID); err != nil {
		t.Fatalf("mark down: %v", err)
	}
	if st, err := s.collectGarbage(context.Background(), false); err != nil || st.Nodes != 0 {
		t.Fatalf("collect at once = %+v, %v; want no node (threshold 24h)", st, err)
	}
	clock.Set(clock.Now().Add(25 * time.Hour))
	if st, err := s.collectGarbage(context.Background(), false); err != nil || st.Nodes != 1 {
		t.Fatalf("collect after 25h = %+v, %v; want one node", st, err)
	}
	for i, want := range []bool{false, true} {
		if n, _ := s.State().NodeByID(nil, nodes[i].ID); (n != nil) != want {
			t.Errorf("node %d stored = %v, want %v", i, n != nil, want)
		}
	}
}
