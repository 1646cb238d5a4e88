// Package httpapitest provides a fake server backend for the HTTP API over a
// real state store, for tests of httpapi and of the CLI. Only tests import it.
package httpapitest

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Server is an httpapi.Backend over a real state store that applies writes
// directly, each at the next index, the way the FSM would after a commit.
// With Schedule set, every evaluation it creates is processed at once by a
// first-fit placement (see schedule), so that monitors see allocations and
// placement failures. Safe for concurrent use.
type Server struct {
	mu         sync.Mutex
	st         *state.StateStore
	index      uint64
	leader     bool
	leaderHTTP string
	peers      []httpapi.Peer
	registered int

	// Schedule makes new evaluations be processed immediately.
	Schedule bool
}

// NewServer returns a leader with an empty store.
func NewServer() *Server {
	st, err := state.NewStateStore()
	if err != nil {
		panic(err)
	}
	// Raft index 1 is the bootstrap configuration entry: writes start at 2.
	return &Server{st: st, index: 1, leader: true, peers: []httpapi.Peer{{ID: "s1", Address: "127.0.0.1:4647", Leader: true, Voter: true}}}
}

// SetLeader makes the server the leader, or a follower that knows the
// leader's HTTP address ("" for none).
func (f *Server) SetLeader(leader bool, leaderHTTP string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leader, f.leaderHTTP = leader, leaderHTTP
}

// Registered counts the RegisterJob calls that reached this server.
func (f *Server) Registered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registered
}

// State is the store's reads, as the handler sees them.
func (f *Server) State() httpapi.Store { return f.Store() }

// Store is the state store itself, for tests that write to it directly.
func (f *Server) Store() *state.StateStore {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *Server) IsLeader() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

func (f *Server) Leader() (string, string) {
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

func (f *Server) Peers() []httpapi.Peer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]httpapi.Peer(nil), f.peers...)
}

func (f *Server) LastContact() time.Duration {
	if f.IsLeader() {
		return 0
	}
	return 20 * time.Millisecond
}

// Apply runs fn at the next index while holding the lock, as a commit.
func (f *Server) Apply(fn func(st *state.StateStore, index uint64) error) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.leader {
		return 0, nomadlike.ErrNotLeader
	}
	f.index++
	return f.index, fn(f.st, f.index)
}

func (f *Server) newEval(job *nomadlike.Job, trigger string) *nomadlike.Evaluation {
	return &nomadlike.Evaluation{
		ID: nomadlike.GenerateUUID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: trigger, JobID: job.ID, Status: nomadlike.EvalStatusPending,
	}
}

func (f *Server) RegisterJob(job *nomadlike.Job, enforce bool, modifyIndex uint64) (string, uint64, string, error) {
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return "", 0, "", err
	}
	if enforce {
		cur, err := f.Store().JobByID(nil, job.Namespace, job.ID)
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
	if job.IsPeriodic() || job.IsParameterized() {
		// Launched or dispatched, never evaluated, as by the real server.
		index, err := f.Apply(func(st *state.StateStore, index uint64) error {
			f.registered++
			return st.UpsertJob(index, job)
		})
		return "", index, "periodic or parameterized job: not evaluated", err
	}
	eval := f.newEval(job, nomadlike.EvalTriggerJobRegister)
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		f.registered++
		if err := st.UpsertJob(index, job); err != nil {
			return err
		}
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, jobWarnings(job), f.maybeProcess(eval.ID, err)
}

// jobWarnings are the job's field warnings, one per line, as the real
// server answers them.
func jobWarnings(job *nomadlike.Job) string {
	var lines []string
	for _, w := range job.Warnings() {
		lines = append(lines, w.String())
	}
	return strings.Join(lines, "\n")
}

func (f *Server) DeregisterJob(ns, id string, purge bool) (string, uint64, error) {
	cur, err := f.Store().JobByID(nil, ns, id)
	if err != nil {
		return "", 0, err
	}
	if cur == nil {
		return "", 0, fmt.Errorf("job %q: %w", id, nomadlike.ErrJobNotFound)
	}
	eval := f.newEval(cur, nomadlike.EvalTriggerJobDeregister)
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
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
	return eval.ID, index, f.maybeProcess(eval.ID, err)
}

func (f *Server) PlanJob(job *nomadlike.Job, diff bool) (*api.JobPlanResponse, error) {
	if !f.IsLeader() {
		return nil, nomadlike.ErrNotLeader
	}
	job = job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return nil, err
	}
	st := f.Store()
	allocs, err := st.AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	live := map[string]int{}
	for _, a := range allocs {
		if !a.TerminalStatus() {
			live[a.TaskGroup]++
		}
	}
	resp := &api.JobPlanResponse{Annotations: &nomadlike.PlanAnnotations{DesiredTGUpdates: map[string]*nomadlike.DesiredUpdates{}}, Warnings: jobWarnings(job)}
	if cur, _ := st.JobByID(nil, job.Namespace, job.ID); cur != nil {
		resp.JobModifyIndex = cur.JobModifyIndex
	}
	for _, tg := range job.TaskGroups {
		u := &nomadlike.DesiredUpdates{}
		switch have := live[tg.Name]; {
		case have < tg.Count:
			u.Place, u.Ignore = uint64(tg.Count-have), uint64(have)
		case have > tg.Count:
			u.Stop, u.Ignore = uint64(have-tg.Count), uint64(tg.Count)
		default:
			u.Ignore = uint64(have)
		}
		resp.Annotations.DesiredTGUpdates[tg.Name] = u
	}
	return resp, nil
}

func (f *Server) ForceEvaluate(ns, id string) (string, uint64, error) {
	cur, err := f.Store().JobByID(nil, ns, id)
	if err != nil {
		return "", 0, err
	}
	if cur == nil {
		return "", 0, fmt.Errorf("job %q: %w", id, nomadlike.ErrJobNotFound)
	}
	eval := f.newEval(cur, "job-evaluate")
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, f.maybeProcess(eval.ID, err)
}

// ForcePeriodic launches a child of a periodic job at the current second.
func (f *Server) ForcePeriodic(ns, id string) (string, uint64, error) {
	cur, err := f.Store().JobByID(nil, ns, id)
	if err != nil {
		return "", 0, err
	}
	switch {
	case cur == nil:
		return "", 0, fmt.Errorf("job %q: %w", id, nomadlike.ErrJobNotFound)
	case !cur.IsPeriodic():
		return "", 0, fmt.Errorf("job %q: %w: not a periodic job", id, nomadlike.ErrValidation)
	}
	now := time.Now().Truncate(time.Second)
	for {
		// One child per second, as the real server.
		if c, _ := f.Store().JobByID(nil, ns, nomadlike.PeriodicChildID(id, now)); c == nil {
			break
		}
		now = now.Add(time.Second)
	}
	child := cur.PeriodicChild(now)
	eval := f.newEval(child, nomadlike.EvalTriggerPeriodicJob)
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		return st.UpsertPeriodicLaunch(index, &nomadlike.PeriodicLaunch{ID: cur.ID, Namespace: cur.Namespace, Launch: now},
			child, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, f.maybeProcess(eval.ID, err)
}

// DispatchJob dispatches a parameterized job with the domain's rules.
func (f *Server) DispatchJob(ns, id string, req nomadlike.DispatchRequest) (string, string, uint64, error) {
	cur, err := f.Store().JobByID(nil, ns, id)
	if err != nil {
		return "", "", 0, err
	}
	if cur == nil {
		return "", "", 0, fmt.Errorf("job %q: %w", id, nomadlike.ErrJobNotFound)
	}
	child, err := cur.Dispatch(req, time.Now())
	if err != nil {
		return "", "", 0, fmt.Errorf("dispatch job %q: %w", id, err)
	}
	eval := f.newEval(child, nomadlike.EvalTriggerJobRegister)
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		if err := st.UpsertJob(index, child); err != nil {
			return err
		}
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return child.ID, eval.ID, index, f.maybeProcess(eval.ID, err)
}

// RegisterNode registers node as the server does: a known node only with
// its SecretID; sourceIP becomes RegisteredFrom and HeartbeatFrom.
func (f *Server) RegisterNode(node *nomadlike.Node, sourceIP string) (time.Duration, uint64, error) {
	if old, _ := f.Store().NodeByID(nil, node.ID); old != nil && old.SecretID != node.SecretID {
		return 0, 0, fmt.Errorf("register node %s: %w", node.ID, nomadlike.ErrPermission)
	}
	n := node.Copy()
	n.RegisteredFrom, n.HeartbeatFrom = sourceIP, sourceIP
	index, err := f.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertNode(index, n) })
	return 10 * time.Second, index, err
}

// NodeHeartbeat sets the node's status when secretID is its secret.
func (f *Server) NodeHeartbeat(id, secretID, status, _ string) (time.Duration, uint64, error) {
	n, err := f.Store().NodeByID(nil, id)
	if err != nil {
		return 0, 0, err
	}
	if n == nil {
		return 0, 0, fmt.Errorf("node heartbeat %s: %w", id, nomadlike.ErrNotFound)
	}
	if secretID == "" || n.SecretID != secretID {
		return 0, 0, fmt.Errorf("node heartbeat %s: %w", id, nomadlike.ErrPermission)
	}
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		return st.UpdateNodeStatus(index, id, status, time.Now().Unix())
	})
	return 10 * time.Second, index, err
}

// UpdateAllocsFromClient writes the updates when secretID is the secret of
// the node every allocation is on.
func (f *Server) UpdateAllocsFromClient(secretID string, allocs []*nomadlike.Allocation) (uint64, error) {
	st := f.Store()
	n, err := st.NodeBySecretID(nil, secretID)
	if err != nil {
		return 0, err
	}
	if secretID == "" || n == nil {
		return 0, fmt.Errorf("update allocations: %w: unknown node secret", nomadlike.ErrPermission)
	}
	for _, u := range allocs {
		if a, _ := st.AllocByID(nil, u.ID); a != nil && a.NodeID != n.ID {
			return 0, fmt.Errorf("update allocations: %w: %s is not on node %s", nomadlike.ErrPermission, u.ID, n.ID)
		}
	}
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.UpdateAllocsFromClient(index, allocs) })
}

func (f *Server) UpdateNodeDrain(id string, drain *nomadlike.DrainStrategy, markEligible bool) (uint64, error) {
	return f.Apply(func(st *state.StateStore, index uint64) error {
		return st.UpdateNodeDrain(index, id, drain, markEligible)
	})
}

func (f *Server) UpdateNodeEligibility(id, e string) (uint64, error) {
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.UpdateNodeEligibility(index, id, e) })
}

func (f *Server) StopAlloc(id string) (string, uint64, error) {
	a, err := f.Store().AllocByID(nil, id)
	if err != nil || a == nil {
		return "", 0, fmt.Errorf("alloc %q: %w", id, nomadlike.ErrNotFound)
	}
	cp := a.Copy()
	cp.DesiredStatus = nomadlike.AllocDesiredStatusStop
	eval := &nomadlike.Evaluation{ID: nomadlike.GenerateUUID(), Namespace: a.Namespace, JobID: a.JobID,
		TriggeredBy: nomadlike.EvalTriggerAllocStop, Status: nomadlike.EvalStatusPending, Type: nomadlike.JobTypeService, Priority: 50}
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		if err := st.UpsertAllocs(index, []*nomadlike.Allocation{cp}); err != nil {
			return err
		}
		return st.UpsertEvals(index, []*nomadlike.Evaluation{eval})
	})
	return eval.ID, index, f.maybeProcess(eval.ID, err)
}

func (f *Server) SnapshotSave(w io.Writer) error {
	_, err := f.Store().WriteTo(w)
	return err
}

func (f *Server) SnapshotRestore(r io.Reader) error {
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

func (f *Server) AddPeer(id, addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.peers = append(f.peers, httpapi.Peer{ID: id, Address: addr, Voter: true})
	return nil
}

func (f *Server) RemovePeer(id, addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.peers {
		if (id != "" && p.ID == id) || (addr != "" && p.Address == addr) {
			f.peers = append(f.peers[:i], f.peers[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("remove peer %s%s: %w", id, addr, nomadlike.ErrNotFound)
}

// PutAlloc stores a placed allocation as a plan would.
func (f *Server) PutAlloc(a *nomadlike.Allocation) uint64 {
	index, err := f.Apply(func(st *state.StateStore, index uint64) error {
		return st.UpsertAllocs(index, []*nomadlike.Allocation{a})
	})
	if err != nil {
		panic(err)
	}
	return index
}

// Agent answers /v1/agent/* for a one-server cluster.
type Agent struct{ Healthy bool }

func (a *Agent) Self() *api.AgentSelf {
	return &api.AgentSelf{Config: map[string]any{"Region": "global"}, Member: &api.AgentMember{Name: "s1.global", Status: "alive"}}
}

func (a *Agent) Members() (*api.ServerMembers, error) {
	return &api.ServerMembers{ServerName: "s1", ServerRegion: "global", ServerDC: "dc1",
		Members: []*api.AgentMember{{Name: "s1.global", Addr: "127.0.0.1", Port: 4647, Status: "alive"}}}, nil
}

func (a *Agent) Health() (*api.AgentHealthResponse, bool) {
	return &api.AgentHealthResponse{Server: &api.AgentHealth{OK: a.Healthy, Message: "ok"}}, a.Healthy
}
