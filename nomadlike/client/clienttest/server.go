package clienttest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// FakeServer is an in-memory stand-in for the servers' client-facing API
// (it satisfies client.ServerAPI). ClientAllocations blocks like the real
// blocking query; client updates are merged into the stored allocations as
// the state store does and bump the index.
type FakeServer struct {
	// TTL is the heartbeat TTL returned to clients (10s by default).
	TTL time.Duration

	mu          sync.Mutex
	index       uint64
	changedCh   chan struct{} // closed and replaced on every write
	nodes       map[string]*nomadlike.Node
	allocs      map[string]*nomadlike.Allocation
	registers   int
	heartbeats  int
	updates     [][]*nomadlike.Allocation
	failUpdates int
	fetched     int
}

// NewFakeServer returns an empty fake server.
func NewFakeServer() *FakeServer {
	return &FakeServer{
		TTL:       10 * time.Second,
		index:     1,
		changedCh: make(chan struct{}),
		nodes:     map[string]*nomadlike.Node{},
		allocs:    map[string]*nomadlike.Allocation{},
	}
}

func (s *FakeServer) bumpLocked() uint64 {
	s.index++
	close(s.changedCh)
	s.changedCh = make(chan struct{})
	return s.index
}

// RegisterNode implements client.ServerAPI.
func (s *FakeServer) RegisterNode(_ context.Context, node *nomadlike.Node) (*api.RegisterNodeResponse, error) {
	if node == nil || node.ID == "" {
		return nil, &api.StatusError{Code: http.StatusBadRequest, Body: "node ID: required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.nodes[node.ID]; old != nil && old.SecretID != node.SecretID {
		return nil, &api.StatusError{Code: http.StatusForbidden, Body: "register node: permission denied"}
	}
	s.nodes[node.ID] = node.Copy()
	s.registers++
	idx := s.bumpLocked()
	return &api.RegisterNodeResponse{NodeID: node.ID, HeartbeatTTL: s.TTL, Index: idx}, nil
}

// Heartbeat implements client.ServerAPI; unknown nodes get a 404, a
// wrong secret a 403 as from the servers.
func (s *FakeServer) Heartbeat(_ context.Context, nodeID, secretID, status string) (*api.HeartbeatResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[nodeID]
	if n == nil {
		return nil, &api.StatusError{Code: http.StatusNotFound, Body: "node not found"}
	}
	if secretID == "" || secretID != n.SecretID {
		return nil, &api.StatusError{Code: http.StatusForbidden, Body: "node heartbeat: permission denied"}
	}
	n.Status = status
	s.heartbeats++
	return &api.HeartbeatResponse{HeartbeatTTL: s.TTL, Index: s.index}, nil
}

// UpdateAllocs implements client.ServerAPI: as the servers, it takes
// updates only with the secret of the node the allocations are on.
func (s *FakeServer) UpdateAllocs(_ context.Context, secretID string, allocs []*nomadlike.Allocation) (*api.WriteMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failUpdates > 0 {
		s.failUpdates--
		return nil, errors.New("fake server: update failed")
	}
	for _, u := range allocs {
		a := s.allocs[u.ID]
		if a == nil {
			continue
		}
		if n := s.nodes[a.NodeID]; n == nil || secretID == "" || n.SecretID != secretID {
			return nil, &api.StatusError{Code: http.StatusForbidden, Body: "update allocations: permission denied"}
		}
	}
	var batch []*nomadlike.Allocation
	for _, u := range allocs {
		batch = append(batch, u.Copy())
		if a := s.allocs[u.ID]; a != nil {
			c := a.Copy()
			c.ClientStatus = u.ClientStatus
			c.ClientDescription = u.ClientDescription
			c.TaskStates = u.Copy().TaskStates
			s.allocs[u.ID] = c
		}
	}
	s.updates = append(s.updates, batch)
	idx := s.bumpLocked()
	for _, u := range allocs {
		if a := s.allocs[u.ID]; a != nil {
			a.ModifyIndex = idx
		}
	}
	return &api.WriteMeta{LastIndex: idx}, nil
}

// UpsertAlloc adds or replaces an allocation as a plan would.
func (s *FakeServer) UpsertAlloc(a *nomadlike.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := a.Copy()
	if old := s.allocs[a.ID]; old != nil {
		c.ClientStatus, c.ClientDescription, c.TaskStates = old.ClientStatus, old.ClientDescription, old.TaskStates
	} else {
		c.ClientStatus = nomadlike.AllocClientStatusPending
		c.TaskStates = nil
	}
	idx := s.bumpLocked()
	if c.CreateIndex == 0 {
		c.CreateIndex = idx
	}
	c.ModifyIndex, c.AllocModifyIndex = idx, idx
	s.allocs[a.ID] = c
}

// StopAlloc sets an allocation's desired status to stop.
func (s *FakeServer) StopAlloc(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocs[id]
	if a == nil {
		return
	}
	c := a.Copy()
	c.DesiredStatus = nomadlike.AllocDesiredStatusStop
	c.DesiredDescription = "alloc is being stopped by a test"
	idx := s.bumpLocked()
	c.ModifyIndex, c.AllocModifyIndex = idx, idx
	s.allocs[id] = c
}

// DeleteAlloc removes an allocation (server-side garbage collection).
func (s *FakeServer) DeleteAlloc(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.allocs, id)
	s.bumpLocked()
}

// ForgetNode drops a node, as a server that lost its state would.
func (s *FakeServer) ForgetNode(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, id)
}

// FailUpdates makes the next n UpdateAllocs calls fail.
func (s *FakeServer) FailUpdates(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failUpdates = n
}

// Alloc returns a copy of the stored allocation, nil when absent.
func (s *FakeServer) Alloc(id string) *nomadlike.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allocs[id].Copy()
}

// Node returns a copy of the registered node, nil when absent.
func (s *FakeServer) Node(id string) *nomadlike.Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[id].Copy()
}

// Counts returns how many registrations and heartbeats were received.
func (s *FakeServer) Counts() (registers, heartbeats int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registers, s.heartbeats
}

// Updates returns every batch UpdateAllocs accepted.
func (s *FakeServer) Updates() [][]*nomadlike.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]*nomadlike.Allocation(nil), s.updates...)
}
