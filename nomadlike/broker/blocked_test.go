package broker

import (
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// recordingEnqueuer collects what BlockedEvals hands back.
type recordingEnqueuer struct {
	mu    sync.Mutex
	evals []*nomadlike.Evaluation
}

func (r *recordingEnqueuer) Enqueue(e *nomadlike.Evaluation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evals = append(r.evals, e)
}

func (r *recordingEnqueuer) ids() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, e := range r.evals {
		out[e.ID] = true
	}
	return out
}

func blockedEval(job string, snapshot uint64, elig map[string]bool) *nomadlike.Evaluation {
	e := mkEval(job, 50, snapshot+1)
	e.Status = nomadlike.EvalStatusBlocked
	e.SnapshotIndex = snapshot
	e.ClassEligibility = elig
	return e
}

func TestBlockedUnblockByClass(t *testing.T) {
	cases := []struct {
		name    string
		elig    map[string]bool
		escaped bool
		class   string
		want    bool
	}{
		{"no class info unblocks on any class", nil, false, "gpu", true},
		{"eligible class", map[string]bool{"gpu": true}, false, "gpu", true},
		{"ineligible class stays", map[string]bool{"gpu": false}, false, "gpu", false},
		{"unknown class unblocks", map[string]bool{"gpu": false}, false, "cpu", true},
		{"escaped unblocks", map[string]bool{"gpu": false}, true, "gpu", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingEnqueuer{}
			b := NewBlockedEvals(rec, nil)
			b.SetEnabled(true)
			e := blockedEval("web", 10, tc.elig)
			e.EscapedComputedClass = tc.escaped
			b.Block(e)
			if got := rec.ids()[e.ID]; got {
				t.Fatalf("Block enqueued at once, want blocked")
			}
			b.Unblock(tc.class, 20)
			if got := rec.ids()[e.ID]; got != tc.want {
				t.Fatalf("Unblock(%q) enqueued = %v, want %v", tc.class, got, tc.want)
			}
			if blocked := b.Get(e.Namespace, "web") != nil; blocked == tc.want {
				t.Fatalf("Get after unblock: blocked = %v, want %v", blocked, !tc.want)
			}
		})
	}
}

func TestBlockedMissedUnblock(t *testing.T) {
	rec := &recordingEnqueuer{}
	b := NewBlockedEvals(rec, nil)
	b.SetEnabled(true)
	b.Unblock("", 50)
	stale := blockedEval("old-snapshot", 40, nil)
	fresh := blockedEval("new-snapshot", 60, nil)
	b.Block(stale)
	b.Block(fresh)
	got := rec.ids()
	if !got[stale.ID] {
		t.Fatalf("eval with snapshot 40 < unblock 50 was not re-queued")
	}
	if got[fresh.ID] {
		t.Fatalf("eval with snapshot 60 > unblock 50 was re-queued")
	}
}

func TestBlockedOnePerJobNewestWins(t *testing.T) {
	rec := &recordingEnqueuer{}
	b := NewBlockedEvals(rec, nil)
	b.SetEnabled(true)
	old := blockedEval("web", 10, nil)
	newer := blockedEval("web", 20, nil)
	b.Block(newer)
	b.Block(old) // arrives late: superseded immediately
	if got := b.Get(old.Namespace, "web"); got == nil || got.ID != newer.ID {
		t.Fatalf("Get = %v, want the newer eval", got)
	}
	newest := blockedEval("web", 30, nil)
	b.Block(newest)
	dups := b.Duplicates()
	if len(dups) != 2 {
		t.Fatalf("Duplicates() = %d evals, want 2", len(dups))
	}
	b.Unblock("", 40)
	if ids := rec.ids(); len(ids) != 1 || !ids[newest.ID] {
		t.Fatalf("unblocked %v, want only the newest eval", ids)
	}
}

func TestBlockedUntrackAndDisable(t *testing.T) {
	rec := &recordingEnqueuer{}
	b := NewBlockedEvals(rec, nil)
	b.SetEnabled(true)
	b.Block(blockedEval("a", 1, nil))
	b.Block(blockedEval("b", 1, nil))
	b.Untrack(nomadlike.DefaultNamespace, "a")
	if s := b.Stats(); s.TotalBlocked != 1 || s.TotalDuplicates != 1 {
		t.Fatalf("after Untrack stats = %+v, want 1 blocked and 1 to cancel", s)
	}
	b.SetEnabled(false)
	b.Unblock("", 10)
	if len(rec.ids()) != 0 {
		t.Fatalf("disabled set enqueued evals")
	}
	if s := b.Stats(); s.TotalBlocked != 0 {
		t.Fatalf("after disable TotalBlocked = %d, want 0", s.TotalBlocked)
	}
}

// TestBlockedIntoBroker checks the real pairing: an unblocked evaluation
// becomes ready in the broker.
func TestBlockedIntoBroker(t *testing.T) {
	br := newBroker(t, testConfig())
	b := NewBlockedEvals(br, nil)
	b.SetEnabled(true)
	e := blockedEval("web", 5, map[string]bool{"small": false})
	b.Block(e)
	b.Unblock("small", 6)
	dequeueNone(t, br)
	b.Unblock("big", 7)
	got, _ := dequeue(t, br)
	if got.ID != e.ID {
		t.Fatalf("broker gave %s, want the unblocked eval", got.ID)
	}
}
