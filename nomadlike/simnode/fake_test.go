package simnode

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// fakeServer serves the four client endpoints from memory, with blocking
// allocation queries, and records what the simulated nodes sent.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server
	ttl time.Duration

	mu         sync.Mutex
	changedCh  chan struct{} // closed and replaced on every write
	index      uint64
	nodes      map[string]*nomadlike.Node
	heartbeats map[string]int
	allocs     map[string]*nomadlike.Allocation // by ID
	history    map[string][]string              // client statuses received per alloc
	calls      []int                            // allocations per update call
	failAll    bool                             // answer 500 to everything
	legacy     int                              // GET /v1/node/:id/allocations answered
	fetched    map[string]int                   // times each alloc was fetched
}

func newFakeServer(t *testing.T, ttl time.Duration) *fakeServer {
	t.Helper()
	f := &fakeServer{
		t: t, ttl: ttl, changedCh: make(chan struct{}), index: 1,
		nodes: map[string]*nomadlike.Node{}, heartbeats: map[string]int{},
		allocs: map[string]*nomadlike.Allocation{}, history: map[string][]string{},
		fetched: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/client/register", f.register)
	mux.HandleFunc("PUT /v1/client/heartbeat/{id}", f.heartbeat)
	mux.HandleFunc("GET /v1/node/{id}/allocations", f.nodeAllocs)
	mux.HandleFunc("PUT /v1/client/allocations/update", f.update)
	mux.HandleFunc("GET /v1/client/allocations/{id}", f.clientAllocs)
	mux.HandleFunc("POST /v1/client/allocations/fetch", f.fetch)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		fail := f.failAll
		f.mu.Unlock()
		if fail {
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) addr() string { return f.srv.URL }

// bumpLocked advances the index and wakes blocked queries.
func (f *fakeServer) bumpLocked() uint64 {
	f.index++
	close(f.changedCh)
	f.changedCh = make(chan struct{})
	return f.index
}

func writeJSON(w http.ResponseWriter, index uint64, v any) {
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(index, 10))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) register(w http.ResponseWriter, r *http.Request) {
	var req struct{ Node *nomadlike.Node }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Node == nil || req.Node.ID == "" {
		http.Error(w, "bad node", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.nodes[req.Node.ID] = req.Node
	idx := f.bumpLocked()
	f.mu.Unlock()
	writeJSON(w, idx, map[string]any{"HeartbeatTTL": f.ttl, "Index": idx, "NodeID": req.Node.ID})
}

func (f *fakeServer) heartbeat(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f.mu.Lock()
	n, ok := f.nodes[id]
	if ok && n.SecretID != r.Header.Get("X-Nomad-Token") {
		f.mu.Unlock()
		http.Error(w, "node heartbeat: permission denied", http.StatusForbidden)
		return
	}
	if ok {
		f.heartbeats[id]++
	}
	idx := f.index
	f.mu.Unlock()
	if !ok {
		http.Error(w, "node not found", http.StatusNotFound)
		return
	}
	writeJSON(w, idx, map[string]any{"HeartbeatTTL": f.ttl, "Index": idx})
}

// nodeAllocs blocks while ?index is not exceeded, up to ?wait.
func (f *fakeServer) nodeAllocs(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var minIndex uint64
	if s := r.URL.Query().Get("index"); s != "" {
		minIndex, _ = strconv.ParseUint(s, 10, 64)
	}
	wait := 5 * time.Second
	if s := r.URL.Query().Get("wait"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d < wait {
			wait = d
		}
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		idx, ch := f.index, f.changedCh
		var out []*nomadlike.Allocation
		if idx > minIndex {
			for _, a := range f.allocs {
				if a.NodeID == id {
					cp := *a
					out = append(out, &cp)
				}
			}
		}
		f.mu.Unlock()
		if idx > minIndex {
			if out == nil {
				out = []*nomadlike.Allocation{}
			}
			f.mu.Lock()
			f.legacy++
			f.mu.Unlock()
			writeJSON(w, idx, out)
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			minIndex = 0 // answer with what there is
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeServer) update(w http.ResponseWriter, r *http.Request) {
	var req struct{ Allocs []*nomadlike.Allocation }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	for _, u := range req.Allocs {
		if a, ok := f.allocs[u.ID]; ok && (f.nodes[a.NodeID] == nil || f.nodes[a.NodeID].SecretID != r.Header.Get("X-Nomad-Token")) {
			f.mu.Unlock()
			http.Error(w, "update allocations: permission denied", http.StatusForbidden)
			return
		}
	}
	f.calls = append(f.calls, len(req.Allocs))
	for _, u := range req.Allocs {
		a, ok := f.allocs[u.ID]
		if !ok {
			continue
		}
		a.ClientStatus = u.ClientStatus
		a.ClientDescription = u.ClientDescription
		a.TaskStates = u.TaskStates
		f.history[u.ID] = append(f.history[u.ID], u.ClientStatus)
	}
	idx := f.bumpLocked()
	f.mu.Unlock()
	writeJSON(w, idx, map[string]any{"Index": idx})
}

// place puts count new allocations of job on node.
func (f *fakeServer) place(job *nomadlike.Job, nodeID string, count int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for i := 0; i < count; i++ {
		a := &nomadlike.Allocation{
			ID: nomadlike.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID, Job: job,
			TaskGroup: job.TaskGroups[0].Name, NodeID: nodeID,
			Name:          nomadlike.AllocName(job.ID, job.TaskGroups[0].Name, i),
			DesiredStatus: nomadlike.AllocDesiredStatusRun, ClientStatus: nomadlike.AllocClientStatusPending,
		}
		f.allocs[a.ID] = a
		ids = append(ids, a.ID)
	}
	idx := f.bumpLocked()
	for _, id := range ids {
		f.allocs[id].AllocModifyIndex = idx
	}
	return ids
}

// stop sets the desired status of the allocations to stop.
func (f *fakeServer) stop(ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := f.bumpLocked()
	for _, id := range ids {
		f.allocs[id].DesiredStatus = nomadlike.AllocDesiredStatusStop
		f.allocs[id].AllocModifyIndex = idx
	}
}

// forget drops every node, as a server that lost its state would.
func (f *fakeServer) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.nodes)
	f.bumpLocked()
}

func (f *fakeServer) setFail(fail bool) {
	f.mu.Lock()
	f.failAll = fail
	f.mu.Unlock()
}

// alloc returns a copy of the stored allocation.
func (f *fakeServer) alloc(id string) nomadlike.Allocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.allocs[id]
}

// eventTypes lists the types of a task's events.
func eventTypes(ts *nomadlike.TaskState) string {
	var out []string
	for _, e := range ts.Events {
		out = append(out, e.Type)
	}
	return strings.Join(out, ",")
}

// clientAllocs is the index-only watch: ID -> AllocModifyIndex of the
// node's allocations, blocking while their largest index is not above
// ?index, up to ?wait.
func (f *fakeServer) clientAllocs(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var minIndex uint64
	if s := r.URL.Query().Get("index"); s != "" {
		minIndex, _ = strconv.ParseUint(s, 10, 64)
	}
	wait := 5 * time.Second
	if s := r.URL.Query().Get("wait"); s != "" {
		if d, err := time.ParseDuration(s); err == nil && d < wait {
			wait = d
		}
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ch := f.changedCh
		out := map[string]uint64{}
		idx := uint64(1)
		for _, a := range f.allocs {
			if a.NodeID == id {
				out[a.ID] = a.AllocModifyIndex
				idx = max(idx, a.AllocModifyIndex)
			}
		}
		f.mu.Unlock()
		if idx > minIndex {
			writeJSON(w, idx, map[string]any{"Allocs": out, "Index": idx})
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			minIndex = 0
		case <-r.Context().Done():
			return
		}
	}
}

// fetch returns the named allocations, without Job, and their jobs.
func (f *fakeServer) fetch(w http.ResponseWriter, r *http.Request) {
	var req struct{ AllocIDs []string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var allocs []*nomadlike.Allocation
	var jobs []*nomadlike.Job
	var jobOf []int
	for _, id := range req.AllocIDs {
		a, ok := f.allocs[id]
		if !ok {
			continue
		}
		f.fetched[id]++
		cp := *a
		cp.Job = nil
		allocs = append(allocs, &cp)
		jobs = append(jobs, a.Job)
		jobOf = append(jobOf, len(jobs)-1)
	}
	writeJSON(w, f.index, map[string]any{"Allocs": allocs, "Jobs": jobs, "JobOf": jobOf, "Index": f.index})
}
