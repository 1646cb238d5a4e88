package localstate

import (
	"encoding/json"
	"sync"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// MemDB is an in-memory DB for tests. It stores JSON copies, so what it
// returns never aliases what was written, exactly as with BoltDB.
type MemDB struct {
	mu      sync.Mutex
	id      string
	secret  string
	allocs  map[string]*memAlloc
	plugins map[string]json.RawMessage
}

type memAlloc struct {
	alloc  []byte
	runner map[string][]byte
	state  map[string][]byte
}

// NewMemDB returns an empty in-memory DB.
func NewMemDB() *MemDB {
	return &MemDB{allocs: map[string]*memAlloc{}, plugins: map[string]json.RawMessage{}}
}

// NodeIdentity implements DB.
func (m *MemDB) NodeIdentity() (string, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id, m.secret, nil
}

// PutNodeIdentity implements DB.
func (m *MemDB) PutNodeIdentity(id, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.id, m.secret = id, secret
	return nil
}

func (m *MemDB) entryLocked(id string) *memAlloc {
	e := m.allocs[id]
	if e == nil {
		e = &memAlloc{runner: map[string][]byte{}, state: map[string][]byte{}}
		m.allocs[id] = e
	}
	return e
}

// Allocs implements DB.
func (m *MemDB) Allocs() ([]*AllocState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*AllocState
	for _, e := range m.allocs {
		if e.alloc == nil {
			continue
		}
		as := &AllocState{Tasks: map[string]*TaskRunnerState{}, TaskStates: map[string]*nomadlike.TaskState{}}
		if err := json.Unmarshal(e.alloc, &as.Alloc); err != nil {
			return nil, err
		}
		for k, v := range e.runner {
			var s TaskRunnerState
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, err
			}
			as.Tasks[k] = &s
		}
		for k, v := range e.state {
			var s nomadlike.TaskState
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, err
			}
			as.TaskStates[k] = &s
		}
		out = append(out, as)
	}
	return out, nil
}

// PutAlloc implements DB.
func (m *MemDB) PutAlloc(a *nomadlike.Allocation) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entryLocked(a.ID).alloc = raw
	return nil
}

// PutTaskRunnerState implements DB.
func (m *MemDB) PutTaskRunnerState(allocID, task string, s *TaskRunnerState) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entryLocked(allocID).runner[task] = raw
	return nil
}

// PutTaskState implements DB.
func (m *MemDB) PutTaskState(allocID, task string, s *nomadlike.TaskState) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entryLocked(allocID).state[task] = raw
	return nil
}

// PutTask implements DB.
func (m *MemDB) PutTask(allocID, task string, state *nomadlike.TaskState, runner *TaskRunnerState) error {
	rawState, err := json.Marshal(state)
	if err != nil {
		return err
	}
	rawRunner, err := json.Marshal(runner)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entryLocked(allocID)
	e.state[task] = rawState
	e.runner[task] = rawRunner
	return nil
}

// DeleteAlloc implements DB.
func (m *MemDB) DeleteAlloc(allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.allocs, allocID)
	return nil
}

// DriverPlugins implements DB.
func (m *MemDB) DriverPlugins() (map[string]json.RawMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]json.RawMessage, len(m.plugins))
	for k, v := range m.plugins {
		out[k] = append(json.RawMessage(nil), v...)
	}
	return out, nil
}

// PutDriverPlugin implements DB.
func (m *MemDB) PutDriverPlugin(name string, reattach json.RawMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.plugins[name] = append(json.RawMessage(nil), reattach...)
	return nil
}

// DeleteDriverPlugin implements DB.
func (m *MemDB) DeleteDriverPlugin(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.plugins, name)
	return nil
}

// Close implements DB.
func (m *MemDB) Close() error { return nil }
