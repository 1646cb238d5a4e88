package plan

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// groupSetup holds the first plan's write in flight and queues more behind
// it, waiting until the applier has taken them all into its next batch.
type groupSetup struct {
	c    *testCluster
	cm   *storeCommitter
	a    *Applier
	job  *nomadlike.Job
	n    *nomadlike.Node // 4000 MHz
	fs   []*Future       // fs[0] is the held write's plan
	plan []*nomadlike.Plan
}

func newGroupSetup(t *testing.T) *groupSetup {
	t.Helper()
	c := newCluster(t)
	cm := newCommitter(c, true)
	g := &groupSetup{c: c, cm: cm, job: c.job(), n: c.node(nil)}
	g.a = newApplierWith(t, c, cm, batchCommitter{cm})
	return g
}

func (g *groupSetup) submit(t *testing.T, cpu ...int64) {
	t.Helper()
	for _, mhz := range cpu {
		p := &nomadlike.Plan{EvalID: fmt.Sprintf("e%d", len(g.fs)), Job: g.job}
		p.AppendAlloc(alloc(g.job, g.n, mhz))
		f, err := g.a.Submit(p)
		if err != nil {
			t.Fatal(err)
		}
		g.fs, g.plan = append(g.fs, f), append(g.plan, p)
		if len(g.fs) == 1 { // the first write must be in flight before the rest queue
			poll.Until(t, 5*time.Second, "the first write in flight", func() (bool, string) {
				s := g.a.Stats()
				return s.Commits == 1, fmt.Sprintf("stats %+v", s)
			})
		}
	}
	poll.Until(t, 5*time.Second, "every queued plan taken by a write", func() (bool, string) {
		s := g.a.Stats()
		return s.Pending == 0, fmt.Sprintf("stats %+v", s)
	})
}

// release answers the held writes in order with errs (nil: commit).
func (g *groupSetup) release(errs ...error) {
	go func() {
		for _, err := range errs {
			select {
			case g.cm.release <- err:
			case <-g.cm.stopCh:
				return
			}
		}
	}()
}

// TestApplierGroupCommit: plans that queue up while a write is in flight
// are written together as one write, each checked against the ones before
// it, so together they never over-commit the node; the rejected one is
// answered with the batch, its RefreshIndex at the batch's index. One plan
// per write (before group commit) made this four writes.
func TestApplierGroupCommit(t *testing.T) {
	g := newGroupSetup(t)
	// 1000 in flight, then 1000 + 1000 fit the 4000 MHz node, 1500 does
	// not after them, 100 does.
	g.submit(t, 1000, 1000, 1000, 1500, 100)
	g.release(nil, nil)
	var batchIndex uint64
	for i, f := range g.fs {
		res, err := f.Wait(ctx5s(t))
		if err != nil {
			t.Fatalf("plan %d: %v", i, err)
		}
		full, _, _ := res.FullCommit(g.plan[i])
		if want := i != 3; full != want {
			t.Fatalf("plan %d: full commit = %v, want %v (result %+v)", i, full, want, res)
		}
		if i == 1 {
			batchIndex = res.AllocIndex
		}
		if i > 1 && i != 3 && res.AllocIndex != batchIndex {
			t.Fatalf("plan %d committed at %d, want the batch's index %d", i, res.AllocIndex, batchIndex)
		}
		if i == 3 && res.RefreshIndex < batchIndex {
			t.Fatalf("rejected plan: RefreshIndex %d, want at least the batch's index %d", res.RefreshIndex, batchIndex)
		}
	}
	if got := g.cm.writeSizes(); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("plans per write = %v, want [1 3]", got)
	}
	if err := g.cm.overcommit(); err != nil {
		t.Fatal(err)
	}
	if s := g.a.Stats(); s.Commits != 2 || s.Applied != 4 || s.Partial != 1 {
		t.Fatalf("Stats() = %+v, want 2 commits, 4 applied, 1 partial", s)
	}
}

// TestApplierGroupCommitFailure: a batch the store refuses is written
// again plan by plan, so the plans that are fine still commit; a batch lost
// with leadership fails every plan of it and none is written.
func TestApplierGroupCommitFailure(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		retries   []error // the answers to the plan-by-plan writes
		wantOK    []bool  // plans 1..3
		wantSizes []int
	}{
		{"refused by the store", errors.New("state: refused"), []error{nil, errors.New("state: bad plan"), nil},
			[]bool{true, false, true}, []int{1, 1, 1}},
		{"leadership lost", fmt.Errorf("raft: %w", nomadlike.ErrNotLeader), nil,
			[]bool{false, false, false}, []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGroupSetup(t)
			g.submit(t, 500, 500, 500, 500)
			g.release(append([]error{nil, tc.err}, tc.retries...)...)
			if _, err := g.fs[0].Wait(ctx5s(t)); err != nil {
				t.Fatalf("plan 0: %v", err)
			}
			for i, want := range tc.wantOK {
				res, err := g.fs[i+1].Wait(ctx5s(t))
				if got := err == nil; got != want {
					t.Fatalf("plan %d: result %+v, err %v; want success %v", i+1, res, err, want)
				}
				if err != nil && errors.Is(tc.err, nomadlike.ErrNotLeader) && !errors.Is(err, nomadlike.ErrNotLeader) {
					t.Fatalf("plan %d: %v, want ErrNotLeader", i+1, err)
				}
			}
			if got := g.cm.writeSizes(); !slices.Equal(got, tc.wantSizes) {
				t.Fatalf("plans per successful write = %v, want %v", got, tc.wantSizes)
			}
			if err := g.cm.overcommit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
