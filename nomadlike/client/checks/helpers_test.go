package checks

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// fakeTasks is a checks.Tasks whose tasks run since a fixed time.
type fakeTasks struct {
	mu       sync.Mutex
	started  time.Time
	state    string
	exitCode int
	stdout   string
	restarts []string
	changes  int
}

func newFakeTasks() *fakeTasks {
	return &fakeTasks{started: time.Now().Add(-time.Hour), state: nomadlike.TaskStateRunning}
}

func (f *fakeTasks) TaskState(string) *nomadlike.TaskState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &nomadlike.TaskState{State: f.state, StartedAt: nomadlike.Time{Time: f.started}}
}

func (f *fakeTasks) Exec(_ context.Context, _ string, cmd []string, _ time.Duration) (*drivers.ExecResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, errors.New("no command")
	}
	return &drivers.ExecResult{ExitCode: f.exitCode, Stdout: []byte(f.stdout)}, nil
}

func (f *fakeTasks) RestartTask(task, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts = append(f.restarts, task)
	f.started = time.Now()
	return nil
}

func (f *fakeTasks) ChecksChanged() {
	f.mu.Lock()
	f.changes++
	f.mu.Unlock()
}

func (f *fakeTasks) restartCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.restarts)
}

// testAlloc is an allocation of one task "web" with one port "http" at
// addr and one task-level service "web" with checks.
func testAlloc(t testing.TB, id, addr string, chks ...*nomadlike.ServiceCheck) *nomadlike.Allocation {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return &nomadlike.Allocation{
		ID: id, TaskGroup: "g", Namespace: "default",
		Job: &nomadlike.Job{ID: "j", TaskGroups: []*nomadlike.TaskGroup{{Name: "g", Tasks: []*nomadlike.Task{{
			Name: "web", Services: []*nomadlike.Service{{Name: "web", PortLabel: "http", Checks: chks}},
		}}}}},
		AllocatedResources: &nomadlike.AllocatedResources{Shared: nomadlike.AllocatedSharedResources{
			Ports: []nomadlike.AllocatedPort{{Label: "http", Value: p, HostIP: host}},
		}},
	}
}

func startManager(t testing.TB) *Manager {
	t.Helper()
	m := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// onlyResult returns the allocation's single check result.
func onlyResult(m *Manager, allocID string) api.AllocCheckStatus {
	for _, r := range m.Results(allocID) {
		return r
	}
	return api.AllocCheckStatus{}
}
