package broker

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/queue"
)

// queueSim is a one-resource cluster driven through BlockedEvals with a
// fake scheduler: a handed-over evaluation places its job when it fits, or
// is blocked again.
type queueSim struct {
	t       *testing.T
	rng     *rand.Rand
	b       *BlockedEvals
	rec     *recordingEnqueuer
	free    int
	index   uint64
	size    map[string]int
	running []string
	placed  []string
	jobs    int
}

func (s *queueSim) eval(job string, prio int, submit uint64) *nomadlike.Evaluation {
	s.index++
	return &nomadlike.Evaluation{
		ID: nomadlike.GenerateUUID(), Namespace: nomadlike.DefaultNamespace, JobID: job,
		Priority: prio, Type: nomadlike.JobTypeBatch, Status: nomadlike.EvalStatusBlocked,
		JobModifyIndex: submit, CreateIndex: s.index, SnapshotIndex: s.index,
	}
}

func (s *queueSim) submit() {
	s.jobs++
	job := fmt.Sprintf("job-%d", s.jobs)
	s.index++
	s.size[job] = 1 + s.rng.Intn(4)
	// Every submission joins the line (the sim checks the line, not the
	// broker's direct path for new work): blocked, then unblocked.
	s.b.Block(s.eval(job, 10*(1+s.rng.Intn(3)), s.index))
	s.index++
	s.b.Unblock("", s.index)
}

func (s *queueSim) finishOne() {
	if len(s.running) == 0 {
		return
	}
	i := s.rng.Intn(len(s.running))
	job := s.running[i]
	s.running = append(s.running[:i], s.running[i+1:]...)
	s.free += s.size[job]
	s.index++
	s.b.Unblock("", s.index)
}

// schedule runs the fake scheduler on everything handed over, checking the
// queue invariant at every placement.
func (s *queueSim) schedule() {
	for {
		s.rec.mu.Lock()
		if len(s.rec.evals) == 0 {
			s.rec.mu.Unlock()
			return
		}
		e := s.rec.evals[0]
		s.rec.evals = s.rec.evals[1:]
		s.rec.mu.Unlock()
		if s.size[e.JobID] > s.free {
			s.b.Block(s.eval(e.JobID, e.Priority, e.JobModifyIndex))
			continue
		}
		for _, w := range s.b.Queue() {
			if queue.Less(w, e) && s.size[w.JobID] <= s.free {
				s.t.Fatalf("%s (priority %d, submit %d) placed while %s (priority %d, submit %d, size %d <= free %d) waits before it",
					e.JobID, e.Priority, e.JobModifyIndex, w.JobID, w.Priority, w.JobModifyIndex, s.size[w.JobID], s.free)
			}
		}
		s.free -= s.size[e.JobID]
		s.running = append(s.running, e.JobID)
		s.placed = append(s.placed, e.JobID)
		s.b.Untrack(e.Namespace, e.JobID)
	}
}

// TestBlockedQueueOrderProperty: over seeded random submissions and
// finishes, a job is never placed while a job before it in queue order
// (higher priority, or same priority and submitted earlier) that fits the
// free capacity is still waiting; and once everything finishes, every job
// has been placed.
func TestBlockedQueueOrderProperty(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rec := &recordingEnqueuer{}
			b := NewBlockedEvals(rec, nil)
			b.SetEnabled(true)
			s := &queueSim{t: t, rng: rand.New(rand.NewSource(seed)), b: b, rec: rec, free: 6, size: map[string]int{}}
			for step := 0; step < 300; step++ {
				if s.rng.Intn(3) == 0 {
					s.finishOne()
				} else {
					s.submit()
				}
				s.schedule()
			}
			for len(s.running) > 0 || len(b.Queue()) > 0 {
				if len(s.running) == 0 {
					t.Fatalf("jobs wait with an idle cluster: %d", len(b.Queue()))
				}
				s.finishOne()
				s.schedule()
			}
			if len(s.placed) != s.jobs {
				t.Fatalf("placed %d of %d jobs", len(s.placed), s.jobs)
			}
		})
	}
}

// TestBlockedReleaseOrder: unblocked evaluations reach the broker one at a
// time in queue order, the next only when the previous settled.
func TestBlockedReleaseOrder(t *testing.T) {
	rec := &recordingEnqueuer{}
	b := NewBlockedEvals(rec, nil)
	b.SetEnabled(true)
	mk := func(job string, prio int, submit uint64) *nomadlike.Evaluation {
		e := blockedEval(job, 5, nil)
		e.Priority, e.JobModifyIndex = prio, submit
		return e
	}
	b.Block(mk("low-first", 10, 1))
	b.Block(mk("high", 80, 3))
	b.Block(mk("low-second", 10, 2))
	b.Unblock("", 10)
	var order []string
	for i := 0; i < 3; i++ {
		rec.mu.Lock()
		if len(rec.evals) != i+1 {
			rec.mu.Unlock()
			t.Fatalf("after %d settles the broker has %d evals, want %d", i, len(rec.evals), i+1)
		}
		e := rec.evals[i]
		rec.mu.Unlock()
		order = append(order, e.JobID)
		b.Settle(e.Namespace, e.JobID)
	}
	want := []string{"high", "low-first", "low-second"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("release order %v, want %v", order, want)
	}
}

// BenchmarkBlockedRelease is the queue ordering's cost per evaluation:
// 1,000 blocked evaluations of random priorities and submissions are
// unblocked and released one at a time in order (Block, Unblock, Settle).
func BenchmarkBlockedRelease(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	evals := make([]*nomadlike.Evaluation, 1000)
	for i := range evals {
		evals[i] = &nomadlike.Evaluation{ID: fmt.Sprint(i), Namespace: nomadlike.DefaultNamespace, JobID: fmt.Sprintf("job-%d", i),
			Priority: 10 * rng.Intn(10), JobModifyIndex: uint64(rng.Intn(1000)), CreateIndex: uint64(i),
			SnapshotIndex: 1, Status: nomadlike.EvalStatusBlocked}
	}
	for b.Loop() {
		rec := &recordingEnqueuer{}
		bl := NewBlockedEvals(rec, nil)
		bl.SetEnabled(true)
		for _, e := range evals {
			bl.Block(e)
		}
		bl.Unblock("", 2)
		for i := 0; i < len(evals); i++ {
			e := rec.evals[i]
			bl.Settle(e.Namespace, e.JobID)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evals)), "ns/eval")
}
