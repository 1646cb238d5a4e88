package drainer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/server/drainer"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// storeWriter applies the drainer's writes to a real store, as raft would.
type storeWriter struct {
	s     *state.StateStore
	index uint64
	evals []*nomadlike.Evaluation
}

func (w *storeWriter) next() uint64 { w.index++; return w.index }

func (w *storeWriter) MarkMigrations(req *state.AllocDesiredTransitionRequest) (uint64, error) {
	if err := w.s.UpdateAllocsDesiredTransitions(w.next(), req.Allocs); err != nil {
		return 0, err
	}
	w.evals = append(w.evals, req.Evals...)
	return w.index, w.s.UpsertEvals(w.next(), req.Evals)
}

func (w *storeWriter) CompleteDrain(nodeID string) (uint64, error) {
	return w.index, w.s.UpdateNodeDrain(w.next(), nodeID, nil, false)
}

// env is a store with a draining node A and a ready node B.
type env struct {
	t    *testing.T
	w    *storeWriter
	a, b *nomadlike.Node
	now  time.Time
	d    *drainer.Drainer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, w: &storeWriter{s: s, index: 100}, a: fixture.Node(), b: fixture.Node(), now: time.Unix(10_000, 0)}
	e.a.ID, e.b.ID = "node-a-"+e.a.ID[:8], "node-b-"+e.b.ID[:8]
	e.must(s.UpsertNode(e.w.next(), e.a))
	e.must(s.UpsertNode(e.w.next(), e.b))
	e.d = drainer.New(drainer.Config{State: func() *state.StateStore { return s }, Writer: e.w, Now: func() time.Time { return e.now }})
	return e
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// job stores a job of typ with count allocations of its group on node,
// each with a health verdict when healthy is set.
func (e *env) job(typ string, count, maxParallel int, node *nomadlike.Node, healthy bool) *nomadlike.Job {
	e.t.Helper()
	j := fixture.Job()
	j.Type = typ
	tg := j.TaskGroups[0]
	tg.Count = count
	tg.Migrate = &nomadlike.MigrateStrategy{MaxParallel: maxParallel, HealthCheck: "checks", MinHealthyTime: time.Second, HealthyDeadline: time.Minute}
	e.must(e.w.s.UpsertJob(e.w.next(), j))
	stored, _ := e.w.s.JobByID(nil, j.Namespace, j.ID)
	var allocs []*nomadlike.Allocation
	for i := range count {
		a := fixture.Alloc(stored, node, i)
		a.ClientStatus = nomadlike.AllocClientStatusRunning
		if healthy {
			yes := true
			a.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Healthy: &yes}
		}
		allocs = append(allocs, a)
	}
	e.must(e.w.s.UpsertAllocs(e.w.next(), allocs))
	return stored
}

func (e *env) drain(n *nomadlike.Node, ds *nomadlike.DrainStrategy) {
	e.t.Helper()
	e.must(e.w.s.UpdateNodeDrain(e.w.next(), n.ID, ds, false))
}

func (e *env) pass() {
	e.t.Helper()
	e.must(e.d.Pass())
}

// allocs returns the job's allocations: marked for migration, live
// (not terminal) and live on node.
func (e *env) allocs(j *nomadlike.Job, node *nomadlike.Node) (marked, live, on int) {
	e.t.Helper()
	all, err := e.w.s.AllocsByJob(nil, j.Namespace, j.ID)
	e.must(err)
	for _, a := range all {
		if a.TerminalStatus() {
			continue
		}
		live++
		if a.DesiredTransition.Migrate != nil && *a.DesiredTransition.Migrate {
			marked++
		}
		if a.NodeID == node.ID {
			on++
		}
	}
	return marked, live, on
}

// schedule plays the scheduler: every marked live allocation is stopped
// and replaced on node B by a pending allocation without health.
func (e *env) schedule(j *nomadlike.Job) []*nomadlike.Allocation {
	e.t.Helper()
	all, err := e.w.s.AllocsByJob(nil, j.Namespace, j.ID)
	e.must(err)
	var writes, repl []*nomadlike.Allocation
	for _, a := range all {
		if a.TerminalStatus() || a.DesiredTransition.Migrate == nil || !*a.DesiredTransition.Migrate {
			continue
		}
		stop := a.Copy()
		stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
		r := fixture.Alloc(j, e.b, a.Index())
		r.PreviousAllocation = a.ID
		r.ClientStatus = nomadlike.AllocClientStatusPending
		writes = append(writes, stop, r)
		repl = append(repl, r)
	}
	if len(writes) > 0 {
		e.must(e.w.s.UpsertAllocs(e.w.next(), writes))
	}
	return repl
}

// verdict plays the clients: the replacements run and get a verdict.
func (e *env) verdict(allocs []*nomadlike.Allocation, healthy bool) {
	e.t.Helper()
	var up []*nomadlike.Allocation
	for _, a := range allocs {
		h := healthy
		up = append(up, &nomadlike.Allocation{ID: a.ID, ClientStatus: nomadlike.AllocClientStatusRunning,
			DeploymentStatus: &nomadlike.AllocDeploymentStatus{Healthy: &h, Timestamp: e.now}})
	}
	e.must(e.w.s.UpdateAllocsFromClient(e.w.next(), up))
}

func (e *env) node(n *nomadlike.Node) *nomadlike.Node {
	got, err := e.w.s.NodeByID(nil, n.ID)
	e.must(err)
	return got
}

// TestDecideMaxParallel: per group, as many allocations move as keep
// count - max_parallel allocations with a health verdict in place.
func TestDecideMaxParallel(t *testing.T) {
	cases := []struct {
		name            string
		count, parallel int
		healthy         bool
		wantMarked      int
	}{
		{name: "one at a time", count: 4, parallel: 1, healthy: true, wantMarked: 1},
		{name: "two at a time", count: 4, parallel: 2, healthy: true, wantMarked: 2},
		{name: "more than count", count: 2, parallel: 5, healthy: true, wantMarked: 2},
		{name: "no health verdict yet", count: 4, parallel: 1, healthy: false, wantMarked: 0},
		{name: "zero waits for the deadline", count: 4, parallel: 0, healthy: true, wantMarked: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			j := e.job(nomadlike.JobTypeService, tc.count, tc.parallel, e.a, tc.healthy)
			e.drain(e.a, &nomadlike.DrainStrategy{Deadline: time.Hour, ForceDeadline: e.now.Add(time.Hour)})
			e.pass()
			e.pass() // nothing changed: nothing more is marked
			if marked, _, _ := e.allocs(j, e.a); marked != tc.wantMarked {
				t.Fatalf("marked = %d, want %d", marked, tc.wantMarked)
			}
			if tc.wantMarked > 0 && (len(e.w.evals) != 1 || e.w.evals[0].TriggeredBy != nomadlike.EvalTriggerNodeDrain) {
				t.Fatalf("evals = %+v, want one node-drain evaluation", e.w.evals)
			}
		})
	}
}

// TestDrainerPacesToCompletion drives a drain through the real store with
// a scripted scheduler and clients: never more than max_parallel
// allocations move at once, the next move waits for the replacements'
// verdict (an unhealthy one, at healthy_deadline, lets the drain go on as
// in Nomad), and the drain completes with the node ineligible.
func TestDrainerPacesToCompletion(t *testing.T) {
	for _, parallel := range []int{1, 2} {
		t.Run(fmt.Sprintf("max_parallel=%d", parallel), func(t *testing.T) {
			e := newEnv(t)
			j := e.job(nomadlike.JobTypeService, 5, parallel, e.a, true)
			e.drain(e.a, &nomadlike.DrainStrategy{})
			for step := 0; step < 20; step++ {
				e.pass()
				if n := e.node(e.a); n.DrainStrategy == nil {
					break
				}
				marked, live, _ := e.allocs(j, e.a)
				if marked > parallel {
					t.Fatalf("step %d: %d allocations moving, want at most %d", step, marked, parallel)
				}
				repl := e.schedule(j)
				e.pass() // replacements without a verdict: nothing more moves
				if m, _, _ := e.allocs(j, e.a); m != 0 {
					t.Fatalf("step %d: %d marked before the replacements have a verdict", step, m)
				}
				if _, l, _ := e.allocs(j, e.a); l != live {
					t.Fatalf("step %d: live = %d, want %d", step, l, live)
				}
				e.verdict(repl, step%2 == 0)
			}
			n := e.node(e.a)
			if n.DrainStrategy != nil || n.SchedulingEligibility != nomadlike.NodeSchedulingIneligible {
				t.Fatalf("node after drain: strategy %+v eligibility %s, want done and ineligible", n.DrainStrategy, n.SchedulingEligibility)
			}
			if _, live, on := e.allocs(j, e.a); live != 5 || on != 0 {
				t.Fatalf("after drain: %d live, %d on the drained node; want 5 and 0", live, on)
			}
		})
	}
}

// TestDrainerDeadline: when the deadline passes every allocation left is
// marked at once, batch ones included; a forced drain (deadline < 0) is
// one whose deadline has passed.
func TestDrainerDeadline(t *testing.T) {
	e := newEnv(t)
	svc := e.job(nomadlike.JobTypeService, 4, 1, e.a, true)
	batch := e.job(nomadlike.JobTypeBatch, 2, 1, e.a, false)
	e.drain(e.a, &nomadlike.DrainStrategy{Deadline: time.Minute, ForceDeadline: e.now.Add(time.Minute)})
	e.pass()
	if m, _, _ := e.allocs(batch, e.a); m != 0 {
		t.Fatalf("batch marked before the deadline: %d", m)
	}
	if m, _, _ := e.allocs(svc, e.a); m != 1 {
		t.Fatalf("service marked before the deadline = %d, want 1", m)
	}
	e.now = e.now.Add(time.Minute)
	e.pass()
	if m, _, _ := e.allocs(svc, e.a); m != 4 {
		t.Fatalf("service marked at the deadline = %d, want 4", m)
	}
	if m, _, _ := e.allocs(batch, e.a); m != 2 {
		t.Fatalf("batch marked at the deadline = %d, want 2", m)
	}
	e.schedule(svc)
	e.schedule(batch)
	e.pass()
	if n := e.node(e.a); n.DrainStrategy != nil {
		t.Fatalf("drain not complete after the deadline: %+v", n.DrainStrategy)
	}
}

// TestDrainerSystemLast: system allocations are marked only when nothing
// else is left, never with -ignore-system; batch allocations finish first.
func TestDrainerSystemLast(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignore-system=%v", ignore), func(t *testing.T) {
			e := newEnv(t)
			sys := e.job(nomadlike.JobTypeSystem, 1, 1, e.a, false)
			batch := e.job(nomadlike.JobTypeBatch, 1, 1, e.a, false)
			e.drain(e.a, &nomadlike.DrainStrategy{IgnoreSystemJobs: ignore})
			e.pass()
			if m, _, _ := e.allocs(sys, e.a); m != 0 {
				t.Fatalf("system marked while a batch allocation runs")
			}
			// The batch allocation completes.
			all, _ := e.w.s.AllocsByJob(nil, batch.Namespace, batch.ID)
			e.must(e.w.s.UpdateAllocsFromClient(e.w.next(), []*nomadlike.Allocation{{ID: all[0].ID, ClientStatus: nomadlike.AllocClientStatusComplete}}))
			e.pass()
			marked, _, _ := e.allocs(sys, e.a)
			done := e.node(e.a).DrainStrategy == nil
			switch {
			case ignore && (marked != 0 || !done):
				t.Fatalf("ignore-system: marked %d done %v, want 0 and done", marked, done)
			case !ignore && (marked != 1 || done):
				t.Fatalf("marked %d done %v, want the system allocation marked and the drain going on", marked, done)
			}
			if !ignore {
				e.schedule(sys) // the system scheduler stops it
				e.pass()
				if e.node(e.a).DrainStrategy != nil {
					t.Fatal("drain not complete once the system allocation stopped")
				}
			}
		})
	}
}
