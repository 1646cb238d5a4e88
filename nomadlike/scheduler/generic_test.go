package scheduler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/feasible"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/reconcile"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testConfig() scheduler.Config {
	cfg := scheduler.DefaultConfig()
	cfg.Now = func() time.Time { return testNow }
	return cfg
}

func nodes(n int) []*nomadlike.Node {
	out := make([]*nomadlike.Node, n)
	for i := range out {
		out[i] = fixture.Node()
		out[i].Name = fmt.Sprintf("node-%02d", i)
	}
	return out
}

// run stores the job, processes a register eval for it and returns the
// stored job and the eval update.
func run(t *testing.T, h *schedtest.Harness, job *nomadlike.Job) (*nomadlike.Job, *nomadlike.Evaluation) {
	t.Helper()
	stored := h.UpsertJob(job)
	eval := fixture.Eval(stored)
	if err := h.Process(testConfig(), eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	h.CheckNoOvercommit()
	return stored, h.LastUpdate()
}

func distinctNodes(allocs []*nomadlike.Allocation) map[string]int {
	out := map[string]int{}
	for _, a := range allocs {
		out[a.NodeID]++
	}
	return out
}

func TestServiceSpreadsAcrossNodes(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(5)...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 5
	stored, ev := run(t, h, job)
	allocs := h.LiveAllocs(stored)
	if len(allocs) != 5 {
		t.Fatalf("placed %d allocs, want 5", len(allocs))
	}
	if got := len(distinctNodes(allocs)); got != 5 {
		t.Fatalf("allocs on %d nodes, want 5 (anti-affinity)", got)
	}
	if ev.Status != nomadlike.EvalStatusComplete || ev.QueuedAllocations["web"] != 0 || len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("eval = %s queued %v failed %v, want complete with nothing queued", ev.Status, ev.QueuedAllocations, ev.FailedTGAllocs)
	}
	for _, a := range allocs {
		if a.ClientStatus != nomadlike.AllocClientStatusPending || a.DesiredStatus != nomadlike.AllocDesiredStatusRun ||
			a.EvalID != ev.ID || a.NodeName == "" || a.Metrics == nil || a.CreateTime != testNow.UnixNano() {
			t.Fatalf("alloc %s = %+v, want pending/run with eval, node name, metrics, create time", a.Name, a)
		}
		tr := a.AllocatedResources.Tasks["app"]
		if tr == nil || tr.Cpu.CpuShares != 500 || tr.Memory.MemoryMB != 256 || a.AllocatedResources.Shared.DiskMB != 300 {
			t.Fatalf("alloc %s resources = %+v", a.Name, a.AllocatedResources)
		}
		if len(a.AllocatedResources.Shared.Ports) != 1 || a.AllocatedResources.Shared.Ports[0].Value < nomadlike.MinDynamicPort {
			t.Fatalf("alloc %s ports = %+v, want one dynamic port", a.Name, a.AllocatedResources.Shared.Ports)
		}
	}
}

func TestBatchPacks(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(5)...)
	job := fixture.BatchJob(8) // 100 MHz, 64 MB each: all fit on one node
	stored, _ := run(t, h, job)
	allocs := h.LiveAllocs(stored)
	if len(allocs) != 8 {
		t.Fatalf("placed %d allocs, want 8", len(allocs))
	}
	if got := len(distinctNodes(allocs)); got != 1 {
		t.Fatalf("batch allocs on %d nodes, want 1 (bin-pack)", got)
	}
}

func TestCountChange(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(3)...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	stored, _ := run(t, h, job)
	first := h.LiveAllocs(stored)

	up := stored.Copy()
	up.TaskGroups[0].Count = 4
	stored, _ = run(t, h, up)
	live := h.LiveAllocs(stored)
	if len(live) != 4 {
		t.Fatalf("after count up %d live allocs, want 4", len(live))
	}
	for i, a := range live {
		if want := nomadlike.AllocName(stored.ID, "web", i); a.Name != want {
			t.Fatalf("alloc %d named %s, want %s", i, a.Name, want)
		}
	}
	for _, a := range first { // count change alone is in place: same allocations
		cur, _ := h.Store.AllocByID(nil, a.ID)
		if cur.TerminalStatus() || cur.Job.Version != stored.Version {
			t.Fatalf("alloc %s after count up: terminal=%v version %d, want live at %d", a.Name, cur.TerminalStatus(), cur.Job.Version, stored.Version)
		}
	}

	down := stored.Copy()
	down.TaskGroups[0].Count = 1
	stored, _ = run(t, h, down)
	live = h.LiveAllocs(stored)
	if len(live) != 1 || live[0].Name != nomadlike.AllocName(stored.ID, "web", 0) {
		t.Fatalf("after count down live = %v, want only index 0", names(live))
	}
	for _, a := range h.Allocs(stored) {
		if a.TerminalStatus() && a.DesiredDescription != reconcile.StopNotNeeded {
			t.Fatalf("stopped alloc %s description %q", a.Name, a.DesiredDescription)
		}
	}
}

func names(allocs []*nomadlike.Allocation) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.Name)
	}
	return out
}

func TestJobStopAndDeregister(t *testing.T) {
	cases := []struct {
		name string
		end  func(h *schedtest.Harness, job *nomadlike.Job)
	}{
		{"stop", func(h *schedtest.Harness, job *nomadlike.Job) {
			j := job.Copy()
			j.Stop = true
			h.UpsertJob(j)
		}},
		{"purge", func(h *schedtest.Harness, job *nomadlike.Job) {
			if err := h.Store.DeleteJob(h.NextIndex(), job.Namespace, job.ID); err != nil {
				t.Fatalf("DeleteJob: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New(t)
			h.AddNodes(nodes(2)...)
			stored, _ := run(t, h, fixture.Job())
			tc.end(h, stored)
			eval := fixture.Eval(stored)
			eval.TriggeredBy = nomadlike.EvalTriggerJobDeregister
			if err := h.Process(testConfig(), eval); err != nil {
				t.Fatalf("Process: %v", err)
			}
			if live := h.LiveAllocs(stored); len(live) != 0 {
				t.Fatalf("%d live allocs after %s, want 0", len(live), tc.name)
			}
			if ev := h.LastUpdate(); ev.Status != nomadlike.EvalStatusComplete {
				t.Fatalf("eval status %s, want complete", ev.Status)
			}
		})
	}
}

func TestDestructiveUpdate(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(3)...)
	stored, _ := run(t, h, fixture.Job())
	old := h.LiveAllocs(stored)

	changed := stored.Copy()
	changed.TaskGroups[0].Tasks[0].Config["args"] = []any{"2000"}
	stored, _ = run(t, h, changed)
	live := h.LiveAllocs(stored)
	if len(live) != 3 {
		t.Fatalf("%d live allocs after update, want 3", len(live))
	}
	for _, a := range live {
		if a.Job.Version != stored.Version || a.PreviousAllocation == "" {
			t.Fatalf("alloc %s: version %d previous %q, want version %d replacing an old alloc", a.Name, a.Job.Version, a.PreviousAllocation, stored.Version)
		}
	}
	for _, a := range old {
		cur, _ := h.Store.AllocByID(nil, a.ID)
		if cur.DesiredStatus != nomadlike.AllocDesiredStatusStop || cur.DesiredDescription != reconcile.StopUpdated || cur.NextAllocation == "" {
			t.Fatalf("old alloc %s = %s %q next %q, want stopped for update with next", a.Name, cur.DesiredStatus, cur.DesiredDescription, cur.NextAllocation)
		}
	}
}

func TestNodeDownLostAndReplaced(t *testing.T) {
	h := schedtest.New(t)
	ns := nodes(3)
	h.AddNodes(ns...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	stored, _ := run(t, h, job)
	victim := h.LiveAllocs(stored)[0]
	if err := h.Store.UpdateNodeStatus(h.NextIndex(), victim.NodeID, nomadlike.NodeStatusDown, testNow.UnixNano()); err != nil {
		t.Fatalf("UpdateNodeStatus: %v", err)
	}
	eval := fixture.Eval(stored)
	eval.TriggeredBy = nomadlike.EvalTriggerNodeUpdate
	if err := h.Process(testConfig(), eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	lost, _ := h.Store.AllocByID(nil, victim.ID)
	if lost.ClientStatus != nomadlike.AllocClientStatusLost || lost.DesiredStatus != nomadlike.AllocDesiredStatusStop {
		t.Fatalf("alloc on down node: client %s desired %s, want lost/stop", lost.ClientStatus, lost.DesiredStatus)
	}
	live := h.LiveAllocs(stored)
	if len(live) != 2 {
		t.Fatalf("%d live allocs, want 2", len(live))
	}
	for _, a := range live {
		if a.NodeID == victim.NodeID {
			t.Fatalf("replacement placed on the down node")
		}
		if a.Name == victim.Name && a.PreviousAllocation != victim.ID {
			t.Fatalf("replacement previous = %q, want %q", a.PreviousAllocation, victim.ID)
		}
	}
}

func TestDrainingNodeMigrates(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(3)...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	stored, _ := run(t, h, job)
	victim := h.LiveAllocs(stored)[0]
	if err := h.Store.UpdateNodeDrain(h.NextIndex(), victim.NodeID, &nomadlike.DrainStrategy{Deadline: time.Hour}, false); err != nil {
		t.Fatalf("UpdateNodeDrain: %v", err)
	}
	// The node drainer marks the allocation (server/drainer).
	yes := true
	if err := h.Store.UpdateAllocsDesiredTransitions(h.NextIndex(), map[string]*nomadlike.DesiredTransition{victim.ID: {Migrate: &yes}}); err != nil {
		t.Fatalf("UpdateAllocsDesiredTransitions: %v", err)
	}
	eval := fixture.Eval(stored)
	eval.TriggeredBy = nomadlike.EvalTriggerNodeDrain
	if err := h.Process(testConfig(), eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	old, _ := h.Store.AllocByID(nil, victim.ID)
	if old.DesiredStatus != nomadlike.AllocDesiredStatusStop || old.DesiredDescription != reconcile.StopMigrating {
		t.Fatalf("drained alloc = %s %q, want stopped for migration", old.DesiredStatus, old.DesiredDescription)
	}
	for _, a := range h.LiveAllocs(stored) {
		if a.NodeID == victim.NodeID {
			t.Fatalf("alloc %s still on the draining node", a.Name)
		}
	}
	if n := len(h.LiveAllocs(stored)); n != 2 {
		t.Fatalf("%d live allocs, want 2", n)
	}
}

func TestConstraintFilteringBlocks(t *testing.T) {
	h := schedtest.New(t)
	ns := nodes(4)
	ns[3].Attributes["kernel.name"] = "windows"
	ns[2].Datacenter = "dc2"
	h.AddNodes(ns...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	job.Constraints = []*nomadlike.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"}}
	job.TaskGroups[0].Constraints = []*nomadlike.Constraint{{Operand: "distinct_hosts"}}
	stored, ev := run(t, h, job)

	if n := len(h.LiveAllocs(stored)); n != 1 {
		t.Fatalf("%d allocs placed, want 1 (one windows node, distinct hosts)", n)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("FailedTGAllocs = %v, want a metric for web", ev.FailedTGAllocs)
	}
	want := map[string]int{
		"constraint ${attr.kernel.name} = windows": 2,
		feasible.ReasonDatacenter:                  1,
		feasible.ReasonDistinctHosts:               1,
	}
	for reason, n := range want {
		if m.ConstraintFiltered[reason] != n {
			t.Errorf("ConstraintFiltered[%q] = %d, want %d (all: %v)", reason, m.ConstraintFiltered[reason], n, m.ConstraintFiltered)
		}
	}
	if m.NodesInPool != 4 || m.NodesFiltered != 4 {
		t.Errorf("metric in pool %d filtered %d, want 4 and 4", m.NodesInPool, m.NodesFiltered)
	}
	if ev.QueuedAllocations["web"] != 1 || ev.BlockedEval == "" || ev.Status != nomadlike.EvalStatusComplete {
		t.Fatalf("eval queued %v blocked %q status %s", ev.QueuedAllocations, ev.BlockedEval, ev.Status)
	}
	blocked, _ := h.Store.EvalByID(nil, ev.BlockedEval)
	if blocked == nil || blocked.Status != nomadlike.EvalStatusBlocked || len(blocked.ClassEligibility) == 0 || !blocked.EscapedComputedClass {
		t.Fatalf("blocked eval = %+v, want blocked with class eligibility, escaped (distinct_hosts)", blocked)
	}
	if !blocked.ClassEligibility[feasible.ComputedClass(ns[3])] || blocked.ClassEligibility[feasible.ComputedClass(ns[0])] {
		t.Fatalf("class eligibility = %v, want windows class eligible and linux not", blocked.ClassEligibility)
	}

	// The blocked eval, processed with nothing changed, is re-blocked.
	if err := h.Process(testConfig(), blocked); err != nil {
		t.Fatalf("Process blocked: %v", err)
	}
	if len(h.Reblocked) != 1 {
		t.Fatalf("reblocked %d evals, want 1", len(h.Reblocked))
	}
}

func TestExhaustedResources(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(2)...)
	job := fixture.BatchJob(20)
	job.TaskGroups[0].Tasks[0].Resources = &nomadlike.Resources{CPU: 1000, MemoryMB: 256}
	stored, ev := run(t, h, job)
	if n := len(h.LiveAllocs(stored)); n != 8 {
		t.Fatalf("%d placed, want 8 (4 per node)", n)
	}
	m := ev.FailedTGAllocs["work"]
	if m == nil || m.DimensionExhausted[nomadlike.DimensionCPU] != 2 || m.NodesExhausted != 2 || m.CoalescedFailures != 11 {
		t.Fatalf("failed metric = %+v, want cpu exhausted on 2 nodes and 11 coalesced", m)
	}
	if ev.QueuedAllocations["work"] != 12 {
		t.Fatalf("queued = %v, want 12", ev.QueuedAllocations)
	}
}

func TestPortsWithoutCollisions(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(3)...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 5
	job.TaskGroups[0].Networks = []*nomadlike.NetworkResource{{
		ReservedPorts: []nomadlike.Port{{Label: "admin", Value: 8080}},
		DynamicPorts:  []nomadlike.Port{{Label: "http"}, {Label: "grpc"}},
	}}
	stored, ev := run(t, h, job)
	live := h.LiveAllocs(stored)
	if len(live) != 3 {
		t.Fatalf("%d placed, want 3 (static port 8080 once per node)", len(live))
	}
	if m := ev.FailedTGAllocs["web"]; m == nil || m.DimensionExhausted[nomadlike.DimensionPorts] != 3 {
		t.Fatalf("failed metric = %+v, want port collisions on 3 nodes", m)
	}
	for _, a := range live {
		ports := a.HostPorts()
		if len(ports) != 3 {
			t.Fatalf("alloc %s ports %v, want 3", a.Name, ports)
		}
	}
	// AllocsFit in CheckNoOvercommit (run) rejects port collisions on a node.
}

func TestSystemJobOnEveryEligibleNode(t *testing.T) {
	h := schedtest.New(t)
	ns := nodes(5)
	ns[1].SchedulingEligibility = nomadlike.NodeSchedulingIneligible
	ns[2].Status = nomadlike.NodeStatusDown
	ns[3].Attributes["kernel.name"] = "windows"
	h.AddNodes(ns...)
	job := fixture.Job()
	job.Type = nomadlike.JobTypeSystem
	job.Constraints = []*nomadlike.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}}
	stored, ev := run(t, h, job)
	got := distinctNodes(h.LiveAllocs(stored))
	if len(got) != 2 || got[ns[0].ID] != 1 || got[ns[4].ID] != 1 {
		t.Fatalf("system allocs per node = %v, want one on nodes 0 and 4", got)
	}
	if len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("failed = %v, want none (constraint-filtered nodes are not failures)", ev.FailedTGAllocs)
	}
	// A new node gets its allocation; the others are left alone.
	extra := fixture.Node()
	h.AddNodes(extra)
	eval := fixture.Eval(stored)
	eval.TriggeredBy = nomadlike.EvalTriggerNodeUpdate
	if err := h.Process(testConfig(), eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	got = distinctNodes(h.LiveAllocs(stored))
	if len(got) != 3 || got[extra.ID] != 1 {
		t.Fatalf("after node join allocs per node = %v, want 3 nodes including the new one", got)
	}
	if n := len(h.Allocs(stored)); n != 3 {
		t.Fatalf("%d allocs in total, want 3 (no churn)", n)
	}
}

func TestRescheduleFailedAlloc(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(3)...)
	job := fixture.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].ReschedulePolicy = &nomadlike.ReschedulePolicy{
		Attempts: 3, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: nomadlike.DelayFunctionConstant,
	}
	stored, _ := run(t, h, job)
	live := h.LiveAllocs(stored)
	fail := func(a *nomadlike.Allocation, at time.Time) {
		u := a.Copy()
		u.ClientStatus = nomadlike.AllocClientStatusFailed
		u.TaskStates = map[string]*nomadlike.TaskState{"app": {State: nomadlike.TaskStateDead, Failed: true, FinishedAt: nomadlike.Time{Time: at}}}
		h.UpdateAllocsFromClient(u)
	}
	fail(live[0], testNow.Add(-time.Minute))    // past its delay: now
	fail(live[1], testNow.Add(-10*time.Second)) // 20s to go: later

	eval := fixture.Eval(stored)
	eval.TriggeredBy = nomadlike.EvalTriggerRetryFailedAlloc
	if err := h.Process(testConfig(), eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	now0, _ := h.Store.AllocByID(nil, live[0].ID)
	if now0.NextAllocation == "" || now0.DesiredDescription != reconcile.StopRescheduled {
		t.Fatalf("failed alloc 0: next %q desc %q, want rescheduled", now0.NextAllocation, now0.DesiredDescription)
	}
	repl, _ := h.Store.AllocByID(nil, now0.NextAllocation)
	if repl == nil || repl.RescheduleTracker == nil || len(repl.RescheduleTracker.Events) != 1 || repl.RescheduleTracker.Events[0].PrevAllocID != live[0].ID {
		t.Fatalf("replacement = %+v, want a reschedule event", repl)
	}
	later, _ := h.Store.AllocByID(nil, live[1].ID)
	if later.FollowupEvalID == "" || later.NextAllocation != "" {
		t.Fatalf("failed alloc 1: followup %q next %q, want a follow-up eval only", later.FollowupEvalID, later.NextAllocation)
	}
	follow, _ := h.Store.EvalByID(nil, later.FollowupEvalID)
	if follow == nil || !follow.WaitUntil.After(testNow) || follow.WaitUntil.After(testNow.Add(25*time.Second)) {
		t.Fatalf("follow-up eval = %+v, want WaitUntil about 20s after now", follow)
	}
	// The follow-up eval, when it runs, reschedules the second alloc.
	if err := h.Process(testConfig(), follow); err != nil {
		t.Fatalf("Process follow-up: %v", err)
	}
	later, _ = h.Store.AllocByID(nil, live[1].ID)
	if later.NextAllocation == "" {
		t.Fatalf("follow-up eval did not reschedule")
	}
	if n := len(h.LiveAllocs(stored)); n != 2 {
		t.Fatalf("%d live allocs, want 2", n)
	}
}

func TestAnnotatePlan(t *testing.T) {
	h := schedtest.New(t)
	h.AddNodes(nodes(2)...)
	stored := h.UpsertJob(fixture.Job())
	eval := fixture.Eval(stored)
	eval.AnnotatePlan = true
	if err := h.Process(testConfig(), eval); err != nil {
		t.Fatalf("Process: %v", err)
	}
	if len(h.Plans) != 1 || h.Plans[0].Annotations == nil {
		t.Fatalf("plans = %v, want one annotated plan", h.Plans)
	}
	d := h.Plans[0].Annotations.DesiredTGUpdates["web"]
	if d == nil || d.Place != 3 {
		t.Fatalf("desired updates = %+v, want 3 placements", d)
	}
}

func TestPartialCommitRetries(t *testing.T) {
	h := schedtest.New(t)
	ns := nodes(4)
	h.AddNodes(ns...)
	// Before the first plan is applied, another job takes most of one
	// node, so that node's placement is rejected and the scheduler retries.
	other := h.UpsertJob(fixture.BatchJob(1))
	first := true
	h.BeforeApply = func(h *schedtest.Harness, plan *nomadlike.Plan) {
		if !first {
			return
		}
		first = false
		for nodeID := range plan.NodeAllocation {
			node, _ := h.Store.NodeByID(nil, nodeID)
			hog := fixture.Alloc(other, node, 0)
			hog.AllocatedResources.Tasks["app"].Cpu.CpuShares = 3900
			h.UpsertAllocs(hog)
			return
		}
	}
	job := fixture.Job()
	job.TaskGroups[0].Count = 3
	stored, ev := run(t, h, job)
	if len(h.Plans) < 2 {
		t.Fatalf("%d plans submitted, want a retry after the partial commit", len(h.Plans))
	}
	if n := len(h.LiveAllocs(stored)); n != 3 {
		t.Fatalf("%d live allocs after retry, want 3", n)
	}
	if ev.Status != nomadlike.EvalStatusComplete {
		t.Fatalf("eval status %s, want complete", ev.Status)
	}
}

func TestDeterministicPlacements(t *testing.T) {
	ns := nodes(20)
	job := fixture.Job()
	job.TaskGroups[0].Count = 12
	evalID := nomadlike.GenerateUUID()
	place := func() map[string]string {
		h := schedtest.New(t)
		for _, n := range ns {
			h.AddNodes(n.Copy())
		}
		stored := h.UpsertJob(job.Copy())
		eval := fixture.Eval(stored)
		eval.ID = evalID
		if err := h.Process(testConfig(), eval); err != nil {
			t.Fatalf("Process: %v", err)
		}
		out := map[string]string{}
		for _, a := range h.LiveAllocs(stored) {
			out[a.Name] = a.NodeID + fmt.Sprint(a.HostPorts())
		}
		return out
	}
	a, b := place(), place()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same eval ID placed differently:\n%v\n%v", a, b)
	}
}

func TestNewSchedulerRejects(t *testing.T) {
	if _, err := scheduler.NewScheduler("cron", nil, nil, nil); err == nil {
		t.Fatalf("NewScheduler(cron) = nil error, want unknown job type")
	}
	cfg := scheduler.DefaultConfig()
	cfg.CandidateLimit = -1
	if err := cfg.Validate(); err == nil {
		t.Fatalf("Validate(CandidateLimit -1) = nil, want error")
	}
}

func rackNodes(h *schedtest.Harness, racks ...string) []*nomadlike.Node {
	ns := nodes(len(racks))
	for i, r := range racks {
		ns[i].Meta["rack"] = r
	}
	h.AddNodes(ns...)
	return ns
}

func racksOf(h *schedtest.Harness, allocs []*nomadlike.Allocation) map[string]int {
	out := map[string]int{}
	for _, a := range allocs {
		n, _ := h.Store.NodeByID(nil, a.NodeID)
		out[n.Meta["rack"]]++
	}
	return out
}

func TestSpreadAndAffinity(t *testing.T) {
	cases := []struct {
		name  string
		job   func() *nomadlike.Job
		racks []string
		want  map[string]int
	}{
		{"even spread over racks", func() *nomadlike.Job {
			j := fixture.Job()
			j.TaskGroups[0].Count = 4
			j.Spreads = []*nomadlike.Spread{{Attribute: "${meta.rack}", Weight: 100}}
			return j
		}, []string{"r1", "r1", "r1", "r1", "r1", "r2", "r2"}, map[string]int{"r1": 2, "r2": 2}},
		{"spread targets", func() *nomadlike.Job {
			j := fixture.Job()
			j.TaskGroups[0].Count = 4
			j.Spreads = []*nomadlike.Spread{{Attribute: "${meta.rack}", Weight: 100,
				SpreadTarget: []*nomadlike.SpreadTarget{{Value: "r1", Percent: 25}, {Value: "r2", Percent: 75}}}}
			return j
		}, []string{"r1", "r1", "r1", "r2", "r2", "r2"}, map[string]int{"r1": 1, "r2": 3}},
		{"affinity", func() *nomadlike.Job {
			j := fixture.BatchJob(3)
			j.Affinities = []*nomadlike.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r2", Weight: 100}}
			return j
		}, []string{"r1", "r1", "r1", "r1", "r2"}, map[string]int{"r2": 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New(t)
			rackNodes(h, tc.racks...)
			stored, _ := run(t, h, tc.job())
			if got := racksOf(h, h.LiveAllocs(stored)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("allocs per rack = %v, want %v", got, tc.want)
			}
		})
	}
}
