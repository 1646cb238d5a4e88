package plan

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// testCluster is a real in-memory state store with an index counter.
type testCluster struct {
	t     *testing.T
	mu    sync.Mutex
	store *state.StateStore
	index uint64
}

func newCluster(t *testing.T) *testCluster {
	t.Helper()
	s, err := state.NewStateStore()
	if err != nil {
		t.Fatalf("NewStateStore: %v", err)
	}
	return &testCluster{t: t, store: s}
}

func (c *testCluster) next() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.index++
	return c.index
}

func (c *testCluster) node(mutate func(*nomadlike.Node)) *nomadlike.Node {
	c.t.Helper()
	n := fixture.Node()
	if mutate != nil {
		mutate(n)
	}
	if err := c.store.UpsertNode(c.next(), n); err != nil {
		c.t.Fatalf("UpsertNode: %v", err)
	}
	return n
}

func (c *testCluster) job() *nomadlike.Job {
	c.t.Helper()
	j := fixture.Job()
	j.TaskGroups[0].Networks = nil
	if err := c.store.UpsertJob(c.next(), j); err != nil {
		c.t.Fatalf("UpsertJob: %v", err)
	}
	stored, err := c.store.JobByID(nil, j.Namespace, j.ID)
	if err != nil || stored == nil {
		c.t.Fatalf("JobByID = %v, %v", stored, err)
	}
	return stored
}

// alloc builds a new allocation of job on node asking for cpu MHz.
func alloc(job *nomadlike.Job, node *nomadlike.Node, cpu int64) *nomadlike.Allocation {
	a := fixture.Alloc(job, node, 0)
	a.ClientStatus = nomadlike.AllocClientStatusPending
	for _, tr := range a.AllocatedResources.Tasks {
		tr.Cpu.CpuShares = cpu
		tr.Memory.MemoryMB = 16
	}
	a.AllocatedResources.Shared.DiskMB = 10
	return a
}

func (c *testCluster) place(allocs ...*nomadlike.Allocation) {
	c.t.Helper()
	if err := c.store.UpsertAllocs(c.next(), allocs); err != nil {
		c.t.Fatalf("UpsertAllocs: %v", err)
	}
}

func (c *testCluster) snapshot(ctx context.Context, min uint64) (NodeState, error) {
	return c.store.SnapshotMinIndex(ctx, min)
}

// storeCommitter applies commits to the store in order on one goroutine, like
// raft does, optionally holding each one until released, and checks after
// every commit that no node it touched is over-committed.
type storeCommitter struct {
	c       *testCluster
	queue   chan *testFuture
	hold    bool
	release chan error // with hold: the error to fail the next commit with, or nil
	stopCh  chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	overErr error
	writes  []int // plans per successful write
	stopped bool
}

type testFuture struct {
	commits []*Commit // one, or a batch (CommitBatch)
	done    chan struct{}
	index   uint64
	err     error
}

func (f *testFuture) Wait() (uint64, error) { <-f.done; return f.index, f.err }

// newCommitter starts the commit goroutine; newApplier stops it.
func newCommitter(c *testCluster, hold bool) *storeCommitter {
	sc := &storeCommitter{c: c, queue: make(chan *testFuture, 1024), hold: hold, release: make(chan error), stopCh: make(chan struct{})}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		for {
			select {
			case f := <-sc.queue:
				sc.apply(f, sc.stopCh)
			case <-sc.stopCh:
				return
			}
		}
	}()
	return sc
}

// stop ends the commit goroutine and fails the commits still queued, and
// any later one, so that nothing waits for a commit forever.
func (sc *storeCommitter) stop() {
	close(sc.stopCh)
	sc.wg.Wait()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.stopped = true
	for {
		select {
		case f := <-sc.queue:
			f.err = errors.New("committer stopped")
			close(f.done)
		default:
			return
		}
	}
}

func (sc *storeCommitter) Commit(cm *Commit) (CommitFuture, error) {
	return sc.enqueue([]*Commit{cm})
}

func (sc *storeCommitter) enqueue(cms []*Commit) (CommitFuture, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.stopped {
		return nil, errors.New("committer stopped")
	}
	f := &testFuture{commits: cms, done: make(chan struct{})}
	sc.queue <- f
	return f, nil
}

func (sc *storeCommitter) apply(f *testFuture, stop chan struct{}) {
	defer close(f.done)
	if sc.hold {
		select {
		case err := <-sc.release:
			if err != nil {
				f.err = err
				return
			}
		case <-stop:
			f.err = errors.New("committer stopped")
			return
		}
	}
	idx := sc.c.next()
	reqs := make([]*state.ApplyPlanResultsRequest, len(f.commits))
	for i, cm := range f.commits {
		updated, stopped := cm.Allocs()
		reqs[i] = &state.ApplyPlanResultsRequest{Job: cm.Plan.Job, AllocsUpdated: updated, AllocsStopped: stopped, EvalID: cm.Plan.EvalID}
	}
	var err error
	if len(reqs) == 1 {
		err = sc.c.store.UpsertPlanResults(idx, reqs[0])
	} else {
		err = sc.c.store.UpsertPlanResultsBatch(idx, reqs)
	}
	if err != nil {
		f.err = err
		return
	}
	f.index = idx
	sc.mu.Lock()
	sc.writes = append(sc.writes, len(f.commits))
	sc.mu.Unlock()
	for _, cm := range f.commits {
		for nodeID := range cm.Result.NodeAllocation {
			if err := checkNodeFits(sc.c.store, nodeID); err != nil {
				sc.mu.Lock()
				if sc.overErr == nil {
					sc.overErr = fmt.Errorf("after commit at index %d: %w", idx, err)
				}
				sc.mu.Unlock()
			}
		}
	}
}

// batchCommitter is a storeCommitter that also commits batches (group
// commit), each as one store transaction.
type batchCommitter struct{ *storeCommitter }

func (bc batchCommitter) CommitBatch(cms []*Commit) (CommitFuture, error) {
	return bc.enqueue(cms)
}

// writeSizes returns the number of plans of every successful write, in order.
func (sc *storeCommitter) writeSizes() []int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]int(nil), sc.writes...)
}

func (sc *storeCommitter) overcommit() error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.overErr
}

func checkNodeFits(s *state.StateStore, nodeID string) error {
	node, err := s.NodeByID(nil, nodeID)
	if err != nil || node == nil {
		return fmt.Errorf("node %s: %v", nodeID, err)
	}
	allocs, err := s.AllocsByNode(nil, nodeID)
	if err != nil {
		return err
	}
	if ok, dim, used := nomadlike.AllocsFit(node, allocs); !ok {
		return fmt.Errorf("node %s over-committed on %s: uses %s of %s", nodeID, dim, used, node.Comparable())
	}
	return nil
}

// newApplier returns an enabled applier over cm. On cleanup the committer
// stops first, failing a held commit, so disabling the applier (which waits
// for the commit in flight) cannot hang.
func newApplier(t *testing.T, c *testCluster, cm *storeCommitter) *Applier {
	t.Helper()
	return newApplierWith(t, c, cm, cm)
}

// newApplierWith is newApplier with committer wrapping cm (batchCommitter{cm}
// for group commit).
func newApplierWith(t *testing.T, c *testCluster, cm *storeCommitter, committer Committer) *Applier {
	t.Helper()
	a, err := NewApplier(Config{Snapshot: c.snapshot, Committer: committer})
	if err != nil {
		t.Fatalf("NewApplier: %v", err)
	}
	a.SetEnabled(true)
	t.Cleanup(func() { a.SetEnabled(false) })
	t.Cleanup(cm.stop)
	return a
}

func ctx5s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEvaluate(t *testing.T) {
	// fixture nodes offer 4000 MHz.
	c := newCluster(t)
	job := c.job()
	ready := c.node(nil)
	busy := c.node(nil)
	running := alloc(job, busy, 3000)
	c.place(running)
	down := c.node(func(n *nomadlike.Node) { n.Status = nomadlike.NodeStatusDown })
	onDown := alloc(job, down, 100)
	c.place(onDown)
	draining := c.node(func(n *nomadlike.Node) {
		n.DrainStrategy = &nomadlike.DrainStrategy{Deadline: time.Hour}
		n.SchedulingEligibility = nomadlike.NodeSchedulingIneligible
	})
	ported := c.node(func(n *nomadlike.Node) {
		n.ReservedResources.Networks.ReservedHostPorts = "22"
	})
	withPort := func(a *nomadlike.Allocation, port int) *nomadlike.Allocation {
		a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "http", Value: port}}
		return a
	}
	stopOf := func(a *nomadlike.Allocation) *nomadlike.Allocation {
		s := a.Copy()
		s.DesiredStatus = nomadlike.AllocDesiredStatusStop
		return s
	}
	inPlace := func(a *nomadlike.Allocation, cpu int64) *nomadlike.Allocation {
		u := a.Copy()
		for _, tr := range u.AllocatedResources.Tasks {
			tr.Cpu.CpuShares = cpu
		}
		return u
	}

	type want struct {
		accepted []string // node IDs in the result's NodeAllocation, every placement
		rejected map[string]string
		partly   map[string]int // rejected nodes that kept this many placements
	}
	cases := []struct {
		name      string
		allAtOnce bool
		place     map[*nomadlike.Node][]*nomadlike.Allocation
		stop      map[*nomadlike.Node][]*nomadlike.Allocation
		want      want
	}{
		{
			name:  "fits on ready node",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{ready: {alloc(job, ready, 1000), alloc(job, ready, 1000)}},
			want:  want{accepted: []string{ready.ID}},
		},
		{
			name:  "exceeds cpu with existing allocs",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{busy: {alloc(job, busy, 1500)}},
			want:  want{rejected: map[string]string{busy.ID: nomadlike.DimensionCPU}},
		},
		{
			name:  "stop in the same plan makes room",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{busy: {alloc(job, busy, 1500)}},
			stop:  map[*nomadlike.Node][]*nomadlike.Allocation{busy: {stopOf(running)}},
			want:  want{accepted: []string{busy.ID}},
		},
		{
			name:  "in-place update replaces the old version",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{busy: {inPlace(running, 3900)}},
			want:  want{accepted: []string{busy.ID}},
		},
		{
			name:  "missing node",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{{ID: "gone"}: {alloc(job, ready, 10)}},
			want:  want{rejected: map[string]string{"gone": ReasonNodeMissing}},
		},
		{
			name:  "down node takes no new placement",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{down: {alloc(job, down, 10)}},
			want:  want{rejected: map[string]string{down.ID: ReasonNodeNotReady}},
		},
		{
			name:  "draining node takes no new placement",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{draining: {alloc(job, draining, 10)}},
			want:  want{rejected: map[string]string{draining.ID: ReasonNodeNotReady}},
		},
		{
			name:  "not-ready node takes an in-place update",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{down: {inPlace(onDown, 200)}},
			want:  want{accepted: []string{down.ID}},
		},
		{
			name: "stops on a missing node are accepted",
			stop: map[*nomadlike.Node][]*nomadlike.Allocation{{ID: "gone"}: {stopOf(running)}},
			want: want{},
		},
		{
			name:  "reserved port",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{ported: {withPort(alloc(job, ported, 10), 22)}},
			want:  want{rejected: map[string]string{ported.ID: nomadlike.DimensionReservedPort}},
		},
		{
			name:  "port collision within the plan",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{ready: {withPort(alloc(job, ready, 10), 8080), withPort(alloc(job, ready, 10), 8080)}},
			want:  want{rejected: map[string]string{ready.ID: nomadlike.DimensionPorts}, partly: map[string]int{ready.ID: 1}},
		},
		{
			name:  "overflow on a node keeps the placements that fit",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{ready: {alloc(job, ready, 1500), alloc(job, ready, 3000), alloc(job, ready, 1500)}},
			want:  want{rejected: map[string]string{ready.ID: nomadlike.DimensionCPU}, partly: map[string]int{ready.ID: 2}},
		},
		{
			name:      "all at once keeps nothing of an overflowing node",
			allAtOnce: true,
			place:     map[*nomadlike.Node][]*nomadlike.Allocation{ready: {alloc(job, ready, 1500), alloc(job, ready, 3000)}},
			want:      want{rejected: map[string]string{ready.ID: nomadlike.DimensionCPU}},
		},
		{
			name: "partial commit keeps the good node",
			place: map[*nomadlike.Node][]*nomadlike.Allocation{
				ready: {alloc(job, ready, 1000)},
				busy:  {alloc(job, busy, 2000)},
			},
			want: want{accepted: []string{ready.ID}, rejected: map[string]string{busy.ID: nomadlike.DimensionCPU}},
		},
		{
			name:      "all at once commits nothing on any rejection",
			allAtOnce: true,
			place: map[*nomadlike.Node][]*nomadlike.Allocation{
				ready: {alloc(job, ready, 1000)},
				busy:  {alloc(job, busy, 2000)},
			},
			want: want{rejected: map[string]string{busy.ID: nomadlike.DimensionCPU}},
		},
	}
	snap, err := c.store.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := snap.LatestIndex()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &nomadlike.Plan{EvalID: "e", Job: job, AllAtOnce: tc.allAtOnce}
			for n, as := range tc.place {
				for _, a := range as {
					a.NodeID = n.ID
					if p.NodeAllocation == nil {
						p.NodeAllocation = map[string][]*nomadlike.Allocation{}
					}
					p.NodeAllocation[n.ID] = append(p.NodeAllocation[n.ID], a)
				}
			}
			for n, as := range tc.stop {
				if p.NodeUpdate == nil {
					p.NodeUpdate = map[string][]*nomadlike.Allocation{}
				}
				p.NodeUpdate[n.ID] = as
			}
			res, rej, err := Evaluate(snap, p)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			gotRej := map[string]string{}
			for _, r := range rej {
				gotRej[r.NodeID] = r.Reason
			}
			if fmt.Sprint(gotRej) != fmt.Sprint(orEmpty(tc.want.rejected)) {
				t.Fatalf("rejections = %v, want %v", gotRej, tc.want.rejected)
			}
			if len(res.NodeAllocation) != len(tc.want.accepted)+len(tc.want.partly) {
				t.Fatalf("accepted %d nodes, want %v and partly %v", len(res.NodeAllocation), tc.want.accepted, tc.want.partly)
			}
			for id, n := range tc.want.partly {
				if got := len(res.NodeAllocation[id]); got != n {
					t.Fatalf("node %s: kept %d placements, want %d", id, got, n)
				}
			}
			for _, id := range tc.want.accepted {
				if len(res.NodeAllocation[id]) != len(p.NodeAllocation[id]) {
					t.Fatalf("node %s: accepted %d allocs, want %d", id, len(res.NodeAllocation[id]), len(p.NodeAllocation[id]))
				}
			}
			if tc.allAtOnce && len(rej) > 0 && len(res.NodeUpdate)+len(res.NodeAllocation) != 0 {
				t.Fatalf("AllAtOnce plan with rejections committed %v", res)
			}
			if (len(rej) > 0) != (res.RefreshIndex != 0) {
				t.Fatalf("RefreshIndex = %d with %d rejections", res.RefreshIndex, len(rej))
			}
			if res.RefreshIndex != 0 && res.RefreshIndex != latest {
				t.Fatalf("RefreshIndex = %d, want snapshot index %d", res.RefreshIndex, latest)
			}
		})
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func TestApplierCommits(t *testing.T) {
	c := newCluster(t)
	job := c.job()
	n1, n2 := c.node(nil), c.node(nil)
	a := newApplier(t, c, newCommitter(c, false))
	p := &nomadlike.Plan{EvalID: "e1", Job: job}
	p.AppendAlloc(alloc(job, n1, 3000))
	p.AppendAlloc(alloc(job, n2, 3000))
	res, err := a.Apply(ctx5s(t), p)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if full, exp, act := res.FullCommit(p); !full || res.AllocIndex == 0 || res.RefreshIndex != 0 {
		t.Fatalf("result full=%v (%d/%d) AllocIndex=%d RefreshIndex=%d, want full commit with an index", full, act, exp, res.AllocIndex, res.RefreshIndex)
	}
	allocs, _ := c.store.AllocsByJob(nil, job.Namespace, job.ID)
	if len(allocs) != 2 {
		t.Fatalf("store has %d allocs, want 2", len(allocs))
	}
	// The same placements again no longer fit: nothing commits.
	p2 := &nomadlike.Plan{EvalID: "e2", Job: job}
	p2.AppendAlloc(alloc(job, n1, 3000))
	res2, err := a.Apply(ctx5s(t), p2)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(res2.NodeAllocation) != 0 || res2.RefreshIndex < res.AllocIndex {
		t.Fatalf("conflicting plan: accepted %d nodes, RefreshIndex %d (first commit at %d)", len(res2.NodeAllocation), res2.RefreshIndex, res.AllocIndex)
	}
	if s := a.Stats(); s.Applied != 1 || s.Partial != 1 {
		t.Fatalf("Stats() = %+v, want 1 applied, 1 partial", s)
	}
}

// TestApplierOverlapSeesInflightCommit holds the first commit so the second
// plan is evaluated while it is in flight and the store does not show it yet.
func TestApplierOverlapSeesInflightCommit(t *testing.T) {
	cases := []struct {
		name         string
		firstErr     error
		wantSecondOK bool
	}{
		// The in-flight plan holds the node: the second must be rejected.
		{"first commits", nil, false},
		// The in-flight plan failed: the second is re-evaluated and fits.
		{"first fails", errors.New("raft: leadership lost"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			job := c.job()
			n := c.node(nil)
			cm := newCommitter(c, true)
			a := newApplier(t, c, cm)
			p1 := &nomadlike.Plan{EvalID: "e1", Job: job}
			p1.AppendAlloc(alloc(job, n, 3000))
			f1, err := a.Submit(p1)
			if err != nil {
				t.Fatal(err)
			}
			p2 := &nomadlike.Plan{EvalID: "e2", Job: job}
			p2.AppendAlloc(alloc(job, n, 3000))
			f2, err := a.Submit(p2)
			if err != nil {
				t.Fatal(err)
			}
			// p2 is queued before p1's commit can finish, so it is evaluated
			// while p1 is in flight and the store does not show p1 yet.
			cm.release <- tc.firstErr
			if tc.wantSecondOK {
				go func() { cm.release <- nil }()
			}
			r1, err1 := f1.Wait(ctx5s(t))
			if (err1 != nil) != (tc.firstErr != nil) {
				t.Fatalf("first plan: result %v err %v, want err %v", r1, err1, tc.firstErr)
			}
			r2, err := f2.Wait(ctx5s(t))
			if err != nil {
				t.Fatalf("second plan: %v", err)
			}
			if got := len(r2.NodeAllocation) == 1; got != tc.wantSecondOK {
				t.Fatalf("second plan accepted = %v, want %v", got, tc.wantSecondOK)
			}
			if err := cm.overcommit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestApplierDisableAndToken(t *testing.T) {
	c := newCluster(t)
	job := c.job()
	n := c.node(nil)
	cm := newCommitter(c, false)
	t.Cleanup(cm.stop)
	a, err := NewApplier(Config{
		Snapshot:  c.snapshot,
		Committer: cm,
		CheckToken: func(evalID, token string) error {
			if token != "good" {
				return fmt.Errorf("token %q: %w", token, nomadlike.ErrConflict)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &nomadlike.Plan{EvalID: "e", EvalToken: "stale", Job: job}
	p.AppendAlloc(alloc(job, n, 10))
	if _, err := a.Submit(p); !errors.Is(err, nomadlike.ErrNotLeader) {
		t.Fatalf("Submit on disabled applier = %v, want ErrNotLeader", err)
	}
	a.SetEnabled(true)
	defer a.SetEnabled(false)
	if _, err := a.Apply(ctx5s(t), p); !errors.Is(err, nomadlike.ErrConflict) {
		t.Fatalf("Apply with stale token = %v, want the CheckToken error", err)
	}
	p.EvalToken = "good"
	if _, err := a.Apply(ctx5s(t), p); err != nil {
		t.Fatalf("Apply with good token: %v", err)
	}
}

// TestApplierNeverOvercommits is the property test: many workers submit
// seeded random plans built from stale snapshots (so they conflict), with
// random stops, while commits are applied asynchronously; after every commit
// every node it touched still fits its allocations, and every committed
// allocation was part of an accepted result. In the group-commit mode the
// plans that queue up while a write is held are written together, and a
// seeded eighth of the writes fail (the store refusing a batch, or a
// leadership loss), so batches are checked again and split.
func TestApplierNeverOvercommits(t *testing.T) {
	for _, mode := range []string{"one plan per write", "group commit"} {
		for seed := int64(1); seed <= 8; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", mode, seed), func(t *testing.T) {
				neverOvercommits(t, seed, mode == "group commit")
			})
		}
	}
}

func neverOvercommits(t *testing.T, seed int64, group bool) {
	c := newCluster(t)
	r := rand.New(rand.NewSource(seed))
	var nodes []*nomadlike.Node
	for i := 0; i < 6; i++ {
		cpu := int64(1000 + r.Intn(4000))
		nodes = append(nodes, c.node(func(n *nomadlike.Node) {
			n.NodeResources.Cpu.CpuShares = cpu
			if r.Intn(6) == 0 {
				n.Status = nomadlike.NodeStatusDown
			}
		}))
	}
	jobs := []*nomadlike.Job{c.job(), c.job(), c.job()}
	cm := newCommitter(c, group)
	var a *Applier
	injected := errors.New("injected write failure")
	if group {
		a = newApplierWith(t, c, cm, batchCommitter{cm})
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop) })
		fr := rand.New(rand.NewSource(seed * 7))
		go func() {
			for {
				var err error
				switch fr.Intn(16) {
				case 0:
					err = injected
				case 1:
					err = fmt.Errorf("%w: %w", nomadlike.ErrNotLeader, injected)
				}
				select {
				case cm.release <- err:
				case <-stop:
					return
				}
			}
		}()
	} else {
		a = newApplier(t, c, cm)
	}

	const workers, plansPerWorker = 4, 15
	seeds := make([]int64, workers)
	for i := range seeds {
		seeds[i] = r.Int63()
	}
	var wg sync.WaitGroup
	var answered sync.Map
	errc := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(wr *rand.Rand) {
			defer wg.Done()
			for i := 0; i < plansPerWorker; i++ {
				snap, err := c.store.Snapshot()
				if err != nil {
					errc <- err
					return
				}
				job := jobs[wr.Intn(len(jobs))]
				p := &nomadlike.Plan{EvalID: nomadlike.GenerateUUID(), Job: job, AllAtOnce: wr.Intn(4) == 0, Priority: wr.Intn(100)}
				for k := wr.Intn(5); k > 0; k-- {
					n := nodes[wr.Intn(len(nodes))]
					p.AppendAlloc(alloc(job, n, int64(200+wr.Intn(1500))))
				}
				existing, _ := snap.AllocsByJob(job.Namespace, job.ID)
				for _, ex := range existing {
					if !ex.TerminalStatus() && wr.Intn(5) == 0 {
						p.AppendStoppedAlloc(ex, "random stop", "")
					}
				}
				res, err := a.Apply(ctx5s(t), p)
				if errors.Is(err, injected) {
					continue
				}
				if err != nil {
					errc <- err
					return
				}
				answered.Store(p.EvalID, true)
				if p.AllAtOnce && res.RefreshIndex != 0 && len(res.NodeAllocation)+len(res.NodeUpdate) != 0 {
					errc <- fmt.Errorf("AllAtOnce plan partly committed")
					return
				}
			}
		}(rand.New(rand.NewSource(seeds[w])))
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if err := cm.overcommit(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := checkNodeFits(c.store, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	if group {
		t.Logf("plans per write: %v", cm.writeSizes())
	}
	n := 0
	answered.Range(func(any, any) bool { n++; return true })
	if s := a.Stats(); s.Applied+s.Partial != uint64(n) {
		t.Fatalf("Stats() = %+v, want %d plans answered with a result", s, n)
	}
}
