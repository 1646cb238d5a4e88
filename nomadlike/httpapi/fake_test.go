package httpapi

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// fakeServer is a Backend over a real state store that applies writes
// directly, each at the next index, the way the FSM would after a commit.
type fakeServer struct {
	mu         sync.Mutex
	st         *state.StateStore
	index      uint64
	leader     bool
	leaderHTTP string
	peers      []Peer
	registered int // RegisterJob calls that reached this server
}

func newFakeServer() *fakeServer {
	st, err := state.NewStateStore()
	if err != nil {
		panic(err)
	}
	// Raft index 1 is the bootstrap configuration entry: writes start at 2.
	return &fakeServer{st: st, index: 1, leader: true, peers: []Peer{{ID: "s1", Address: "127.0.0.1:4647", Leader: true, Voter: true}}}
}

func (f *fakeServer) State() *state.StateStore {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeServer) IsLeader() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

func (f *fakeServer) Leader() (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.leader {
		return "127.0.0.1:4647", "self"
	}
	if f.leaderHTTP == "" {
		return "", ""
	}
	return "127.0.0.1:5647", f.leaderHTTP
}

func (f *fakeServer) Peers() []Peer { return f.peers }

func (f *fakeServer) LastContact() time.Duration {
	if f.IsLeader() {
		return 0
	}
	return 20 * time.Millisecond
}

// apply runs fn at the next index while holding the lock.
func (f *fakeServer) apply(fn func(st *state.StateStore, index uint64) error) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.leader {
		return 0, nomadlike.ErrNotLeader
	}
	f.index++
	return f.index, fn(f.st, f.index)
}

func (f *fakeServer) newEval(job *nomadlike.Job, trigger string) *nomadlike.Evaluation {
	return &nomadlike.Evaluation{
		ID: nomadlike.GenerateUUID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: trigger, JobID: job.ID, Status: nomadlike.EvalStatusPending,
	}
}

func (f *fakeServer) RegisterJob(job *nomadlike.Job, enforce bool, modifyIndex uint64) (string, uint64, string, error) {
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return "", 0, "", err
	}
	if enforce {
		cur, err := f.State().JobByID(nil, job.Namespace, job.ID)
		if err != nil {
			return "", 0, "", err
		}
		var have uint64
		if cur != nil {
			have = cur.JobModifyIndex
		}
		if have != modifyIndex {
			return "", 0, "", fmt.Errorf("job modify index is %d, not %d: %w", have, modifyIndex, nomadlike.ErrIndexMismatch)
		}
	}
	eval := f.newEval(job, nomadlike.EvalTriggerJobRegister)
	index, err := f.apply(func(st *state.StateStore, index uint64) error {
		f.registered++
		if err := st.UpsertJob(index, job); err != nil {
			return err
		}
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, "", err
}

func (f *fakeServer) DeregisterJob(ns, id string, purge bool) (string, uint64, error) {
	cur, err := f.State().JobByID(nil, ns, id)
	if err != nil {
		return "", 0, err
	}
	if cur == nil {
		return "", 0, fmt.Errorf("job %q: %w", id, nomadlike.ErrJobNotFound)
	}
	eval := f.newEval(cur, nomadlike.EvalTriggerJobDeregister)
	index, err := f.apply(func(st *state.StateStore, index uint64) error {
		if purge {
			if err := st.DeleteJob(index, ns, id); err != nil {
				return err
			}
		} else {
			stopped := cur.Copy()
			stopped.Stop = true
			if err := st.UpsertJob(index, stopped); err != nil {
				return err
			}
		}
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, err
}

func (f *fakeServer) PlanJob(job *nomadlike.Job, diff bool) (*api.JobPlanResponse, error) {
	if !f.IsLeader() {
		return nil, nomadlike.ErrNotLeader
	}
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return nil, err
	}
	ann := &nomadlike.PlanAnnotations{DesiredTGUpdates: map[string]*nomadlike.DesiredUpdates{}}
	for _, tg := range job.TaskGroups {
		ann.DesiredTGUpdates[tg.Name] = &nomadlike.DesiredUpdates{Place: uint64(tg.Count)}
	}
	return &api.JobPlanResponse{Annotations: ann}, nil
}

func (f *fakeServer) ForceEvaluate(ns, id string) (string, uint64, error) {
	cur, err := f.State().JobByID(nil, ns, id)
	if err != nil {
		return "", 0, err
	}
	if cur == nil {
		return "", 0, fmt.Errorf("job %q: %w", id, nomadlike.ErrJobNotFound)
	}
	eval := f.newEval(cur, "job-evaluate")
	index, err := f.apply(func(st *state.StateStore, index uint64) error {
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, err
}

func (f *fakeServer) RegisterNode(node *nomadlike.Node) (time.Duration, uint64, error) {
	index, err := f.apply(func(st *state.StateStore, index uint64) error { return st.UpsertNode(index, node) })
	return 10 * time.Second, index, err
}

func (f *fakeServer) NodeHeartbeat(id, status string) (time.Duration, uint64, error) {
	index, err := f.apply(func(st *state.StateStore, index uint64) error {
		return st.UpdateNodeStatus(index, id, status, time.Now().Unix())
	})
	return 10 * time.Second, index, err
}

func (f *fakeServer) UpdateAllocsFromClient(allocs []*nomadlike.Allocation) (uint64, error) {
	return f.apply(func(st *state.StateStore, index uint64) error { return st.UpdateAllocsFromClient(index, allocs) })
}

func (f *fakeServer) UpdateNodeDrain(id string, drain *nomadlike.DrainStrategy, markEligible bool) (uint64, error) {
	return f.apply(func(st *state.StateStore, index uint64) error {
		return st.UpdateNodeDrain(index, id, drain, markEligible)
	})
}

func (f *fakeServer) UpdateNodeEligibility(id, e string) (uint64, error) {
	return f.apply(func(st *state.StateStore, index uint64) error { return st.UpdateNodeEligibility(index, id, e) })
}

func (f *fakeServer) StopAlloc(id string) (string, uint64, error) {
	a, err := f.State().AllocByID(nil, id)
	if err != nil || a == nil {
		return "", 0, fmt.Errorf("alloc %q: %w", id, nomadlike.ErrNotFound)
	}
	cp := a.Copy()
	cp.DesiredStatus = nomadlike.AllocDesiredStatusStop
	eval := &nomadlike.Evaluation{ID: nomadlike.GenerateUUID(), Namespace: a.Namespace, JobID: a.JobID,
		TriggeredBy: nomadlike.EvalTriggerAllocStop, Status: nomadlike.EvalStatusPending, Type: nomadlike.JobTypeService, Priority: 50}
	index, err := f.apply(func(st *state.StateStore, index uint64) error {
		if err := st.UpsertAllocs(index, []*nomadlike.Allocation{cp}); err != nil {
			return err
		}
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, err
}

func (f *fakeServer) SnapshotSave(w io.Writer) error {
	_, err := f.State().WriteTo(w)
	return err
}

func (f *fakeServer) SnapshotRestore(r io.Reader) error {
	st, err := state.RestoreFrom(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	old := f.st
	f.st = st
	if li, _ := st.LatestIndex(); li > f.index {
		f.index = li
	}
	f.mu.Unlock()
	old.Abandon()
	return nil
}

func (f *fakeServer) AddPeer(id, addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peers = append(f.peers, Peer{ID: id, Address: addr, Voter: true})
	return nil
}

// putAlloc stores a placed allocation as a plan would.
func (f *fakeServer) putAlloc(a *nomadlike.Allocation) uint64 {
	index, err := f.apply(func(st *state.StateStore, index uint64) error {
		return st.UpsertAllocs(index, []*nomadlike.Allocation{a})
	})
	if err != nil {
		panic(err)
	}
	return index
}

// fakeAgent answers /v1/agent/*.
type fakeAgent struct{ healthy bool }

func (a *fakeAgent) Self() *api.AgentSelf {
	return &api.AgentSelf{Config: map[string]any{"Region": "global"}, Member: &api.AgentMember{Name: "s1.global", Status: "alive"}}
}

func (a *fakeAgent) Members() (*api.ServerMembers, error) {
	return &api.ServerMembers{ServerName: "s1", ServerRegion: "global", ServerDC: "dc1",
		Members: []*api.AgentMember{{Name: "s1.global", Addr: "127.0.0.1", Port: 4647, Status: "alive"}}}, nil
}

func (a *fakeAgent) Health() (*api.AgentHealthResponse, bool) {
	return &api.AgentHealthResponse{Server: &api.AgentHealth{OK: a.healthy, Message: "ok"}}, a.healthy
}
