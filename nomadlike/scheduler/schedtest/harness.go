package schedtest

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Harness is a state store plus a recording planner. Safe for concurrent
// use by one scheduler at a time and the test.
type Harness struct {
	T     testing.TB
	Store *state.StateStore

	// BeforeApply, when set, runs before each submitted plan is applied;
	// tests use it to change the state under the scheduler (another
	// scheduler's plan, a node going away) and force a partial commit.
	BeforeApply func(h *Harness, plan *nomadlike.Plan)
	// Usage, when set, serves node usage to the schedulers from this cache
	// (as the server's workers do) instead of their summing allocations.
	Usage *scheduler.UsageCache

	mu        sync.Mutex
	index     uint64
	Plans     []*nomadlike.Plan       // every submitted plan
	Results   []*nomadlike.PlanResult // what was committed of each
	Updates   []*nomadlike.Evaluation // UpdateEval calls
	Created   []*nomadlike.Evaluation // CreateEval calls
	Reblocked []*nomadlike.Evaluation // ReblockEval calls
}

var _ scheduler.Planner = (*Harness)(nil)

// New returns a harness on an empty store.
func New(t testing.TB) *Harness {
	t.Helper()
	s, err := state.NewStateStore()
	if err != nil {
		t.Fatalf("NewStateStore: %v", err)
	}
	return &Harness{T: t, Store: s, index: 1000}
}

// NextIndex returns a fresh raft index for a write.
func (h *Harness) NextIndex() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	return h.index
}

// Snapshot returns a scheduler.State of the store now.
func (h *Harness) Snapshot() scheduler.State {
	h.T.Helper()
	snap, err := h.Store.Snapshot()
	if err != nil {
		h.T.Fatalf("Snapshot: %v", err)
	}
	if h.Usage != nil {
		return h.Usage.Wrap(snap, snap.NodeAllocsVersion)
	}
	return snap
}

// AddNodes stores nodes.
func (h *Harness) AddNodes(nodes ...*nomadlike.Node) {
	h.T.Helper()
	for _, n := range nodes {
		if err := h.Store.UpsertNode(h.NextIndex(), n); err != nil {
			h.T.Fatalf("UpsertNode: %v", err)
		}
	}
}

// UpsertJob stores a job and returns the stored version (with Version and
// indexes set).
func (h *Harness) UpsertJob(job *nomadlike.Job) *nomadlike.Job {
	h.T.Helper()
	if err := h.Store.UpsertJob(h.NextIndex(), job); err != nil {
		h.T.Fatalf("UpsertJob: %v", err)
	}
	stored, err := h.Store.JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored == nil {
		h.T.Fatalf("JobByID after upsert = %v, %v", stored, err)
	}
	return stored
}

// UpsertAllocs stores allocations as a server would.
func (h *Harness) UpsertAllocs(allocs ...*nomadlike.Allocation) {
	h.T.Helper()
	if err := h.Store.UpsertAllocs(h.NextIndex(), allocs); err != nil {
		h.T.Fatalf("UpsertAllocs: %v", err)
	}
}

// UpdateAllocsFromClient applies client status updates.
func (h *Harness) UpdateAllocsFromClient(allocs ...*nomadlike.Allocation) {
	h.T.Helper()
	if err := h.Store.UpdateAllocsFromClient(h.NextIndex(), allocs); err != nil {
		h.T.Fatalf("UpdateAllocsFromClient: %v", err)
	}
}

// Process stores eval, then runs a scheduler of eval.Type with cfg on a
// snapshot, with the harness as its planner.
func (h *Harness) Process(cfg scheduler.Config, eval *nomadlike.Evaluation) error {
	h.T.Helper()
	if err := h.Store.UpsertEvals(h.NextIndex(), []*nomadlike.Evaluation{eval}); err != nil {
		h.T.Fatalf("UpsertEvals: %v", err)
	}
	s, err := scheduler.NewSchedulerWithConfig(eval.Type, h.Snapshot(), h, cfg)
	if err != nil {
		return err
	}
	return s.Process(eval)
}

// Allocs returns the job's allocations in the store, sorted by name then ID.
func (h *Harness) Allocs(job *nomadlike.Job) []*nomadlike.Allocation {
	h.T.Helper()
	allocs, err := h.Store.AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		h.T.Fatalf("AllocsByJob: %v", err)
	}
	sort.Slice(allocs, func(i, j int) bool {
		if allocs[i].Name != allocs[j].Name {
			return allocs[i].Name < allocs[j].Name
		}
		return allocs[i].ID < allocs[j].ID
	})
	return allocs
}

// LiveAllocs returns the job's non-terminal allocations.
func (h *Harness) LiveAllocs(job *nomadlike.Job) []*nomadlike.Allocation {
	var out []*nomadlike.Allocation
	for _, a := range h.Allocs(job) {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

// LastUpdate returns the last UpdateEval call, or nil.
func (h *Harness) LastUpdate() *nomadlike.Evaluation {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.Updates) == 0 {
		return nil
	}
	return h.Updates[len(h.Updates)-1]
}

// CheckNoOvercommit fails the test when any node's allocations do not
// satisfy nomadlike.AllocsFit.
func (h *Harness) CheckNoOvercommit() {
	h.T.Helper()
	nodes, err := h.Store.Nodes(nil, "")
	if err != nil {
		h.T.Fatalf("Nodes: %v", err)
	}
	for _, n := range nodes {
		allocs, err := h.Store.AllocsByNode(nil, n.ID)
		if err != nil {
			h.T.Fatalf("AllocsByNode: %v", err)
		}
		if ok, dim, used := nomadlike.AllocsFit(n, allocs); !ok {
			h.T.Fatalf("node %s over-committed on %s: uses %v of %v", n.Name, dim, used, n.Comparable())
		}
	}
}

// SubmitPlan implements scheduler.Planner like the plan applier: stops
// always commit; each node's placements commit only when the node exists,
// is ready (or only gets in-place updates) and its proposed allocations
// pass nomadlike.AllocsFit on the newest state. With AllAtOnce a rejected
// node rejects the whole plan. After a partial commit it returns a fresh
// snapshot to retry on.
func (h *Harness) SubmitPlan(plan *nomadlike.Plan) (*nomadlike.PlanResult, scheduler.State, error) {
	if h.BeforeApply != nil {
		h.BeforeApply(h, plan)
	}
	h.mu.Lock()
	h.Plans = append(h.Plans, plan)
	h.mu.Unlock()

	snap, err := h.Store.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	accepted := map[string][]*nomadlike.Allocation{}
	partial := false
	for nodeID, placed := range plan.NodeAllocation {
		ok, err := h.nodeFits(snap, nodeID, plan, placed)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			partial = true
			continue
		}
		accepted[nodeID] = placed
	}
	if partial && plan.AllAtOnce {
		accepted = map[string][]*nomadlike.Allocation{}
	}
	req := &state.ApplyPlanResultsRequest{Job: plan.Job, EvalID: plan.EvalID,
		Deployment: plan.Deployment, DeploymentUpdates: plan.DeploymentUpdates}
	for _, nodeID := range sortedKeys(plan.NodeUpdate) {
		req.AllocsStopped = append(req.AllocsStopped, plan.NodeUpdate[nodeID]...)
	}
	for _, nodeID := range sortedKeys(accepted) {
		req.AllocsUpdated = append(req.AllocsUpdated, accepted[nodeID]...)
	}
	index := h.NextIndex()
	if err := h.Store.UpsertPlanResults(index, req); err != nil {
		return nil, nil, fmt.Errorf("apply plan: %w", err)
	}
	result := &nomadlike.PlanResult{NodeUpdate: plan.NodeUpdate, NodeAllocation: accepted, AllocIndex: index}
	h.mu.Lock()
	h.Results = append(h.Results, result)
	h.mu.Unlock()
	if !partial {
		return result, nil, nil
	}
	result.RefreshIndex = index
	return result, h.Snapshot(), nil
}

func (h *Harness) nodeFits(snap *state.Snapshot, nodeID string, plan *nomadlike.Plan, placed []*nomadlike.Allocation) (bool, error) {
	node, err := snap.NodeByID(nodeID)
	if err != nil {
		return false, err
	}
	if node == nil {
		return false, nil
	}
	existing, err := snap.AllocsByNode(nodeID)
	if err != nil {
		return false, err
	}
	drop := map[string]bool{}
	for _, a := range plan.NodeUpdate[nodeID] {
		drop[a.ID] = true
	}
	newAllocs := false
	for _, a := range placed {
		drop[a.ID] = true
		if !containsID(existing, a.ID) {
			newAllocs = true
		}
	}
	if newAllocs && !node.Ready() {
		return false, nil
	}
	proposed := make([]*nomadlike.Allocation, 0, len(existing)+len(placed))
	for _, a := range existing {
		if !drop[a.ID] {
			proposed = append(proposed, a)
		}
	}
	proposed = append(proposed, placed...)
	ok, _, _ := nomadlike.AllocsFit(node, proposed)
	return ok, nil
}

func containsID(allocs []*nomadlike.Allocation, id string) bool {
	for _, a := range allocs {
		if a.ID == id {
			return true
		}
	}
	return false
}

// UpdateEval implements scheduler.Planner: records and stores the eval.
func (h *Harness) UpdateEval(eval *nomadlike.Evaluation) error {
	h.mu.Lock()
	h.Updates = append(h.Updates, eval)
	h.mu.Unlock()
	return h.Store.UpsertEvals(h.NextIndex(), []*nomadlike.Evaluation{eval})
}

// CreateEval implements scheduler.Planner: records and stores the eval.
func (h *Harness) CreateEval(eval *nomadlike.Evaluation) error {
	h.mu.Lock()
	h.Created = append(h.Created, eval)
	h.mu.Unlock()
	return h.Store.UpsertEvals(h.NextIndex(), []*nomadlike.Evaluation{eval})
}

// ReblockEval implements scheduler.Planner: records and stores the eval.
func (h *Harness) ReblockEval(eval *nomadlike.Evaluation) error {
	h.mu.Lock()
	h.Reblocked = append(h.Reblocked, eval)
	h.mu.Unlock()
	return h.Store.UpsertEvals(h.NextIndex(), []*nomadlike.Evaluation{eval})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
