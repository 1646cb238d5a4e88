package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
	"github.com/nomadlike/nomadlike/nomadlike/client/network"
)

// fakeNetwork records Setup and Teardown calls; Setup fails with err.
type fakeNetwork struct {
	mu        sync.Mutex
	err       error
	setups    []network.Request
	teardowns []string
}

func (f *fakeNetwork) Setup(_ context.Context, req network.Request) (*network.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setups = append(f.setups, req)
	if f.err != nil {
		return nil, f.err
	}
	return &network.Result{
		Isolation: &drivers.NetworkIsolation{Mode: req.Mode, Path: "/run/netns/" + req.AllocID, Hostname: req.Hostname},
		Status:    &nomadlike.AllocNetworkStatus{InterfaceName: "eth0", Address: "172.26.64.9"},
	}, nil
}

func (f *fakeNetwork) Teardown(_ context.Context, allocID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teardowns = append(f.teardowns, allocID)
	return nil
}

func (f *fakeNetwork) calls() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.setups), append([]string(nil), f.teardowns...)
}

// namedDrivers serves fake drivers by name.
type namedDrivers map[string]drivers.Driver

func (n namedDrivers) Driver(name string) (drivers.Driver, error) {
	if d, ok := n[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("driver %q: unknown", name)
}

// bridgeAlloc is a batch allocation in bridge mode with a port mapped to
// 8080: task "joins" on a driver that joins the group network, "host" on
// one that does not.
func bridgeAlloc() *nomadlike.Allocation {
	joins, host := task("joins", map[string]any{"stdout": "x"}), task("host", map[string]any{"stdout": "y"})
	host.Driver = "hostonly"
	a := batchAlloc(joins, host)
	n := &nomadlike.NetworkResource{Mode: "bridge", Hostname: "web-${NOMAD_ALLOC_INDEX}",
		DynamicPorts: []nomadlike.Port{{Label: "http", Value: 25000, To: 8080}}, ReservedPorts: []nomadlike.Port{{Label: "admin", Value: 9090}}}
	a.Job.TaskGroups[0].Networks = []*nomadlike.NetworkResource{n}
	a.AllocatedResources.Shared.Networks = []*nomadlike.NetworkResource{n}
	a.AllocatedResources.Shared.Ports = []nomadlike.AllocatedPort{{Label: "http", Value: 25000, To: 8080, HostIP: "10.0.0.5"}, {Label: "admin", Value: 9090, HostIP: "10.0.0.5"}}
	return a
}

func TestNetworkHook(t *testing.T) {
	h := newHarness(t)
	fn := &fakeNetwork{}
	joins := clienttest.NewFakeDriver(h.host, "fake")
	joins.NetModes = []string{drivers.NetIsolationHost, drivers.NetIsolationGroup}
	a := bridgeAlloc()
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: namedDrivers{"fake": joins, "hostonly": clienttest.NewFakeDriver(h.host, "hostonly")},
		DB: h.db, Node: func() *nomadlike.Node { return h.node }, Updater: h.updater, Logger: hclog.NewNullLogger(), Network: fn,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusComplete)

	if n, _ := fn.calls(); n != 1 {
		t.Fatalf("Setup called %d times, want 1", n)
	}
	req := fn.setups[0]
	wantPorts := []network.PortMapping{{Label: "admin", HostPort: 9090, ContainerPort: 9090}, {Label: "http", HostPort: 25000, ContainerPort: 8080}}
	if req.Mode != "bridge" || req.Hostname != "web-0" || !slices.Equal(req.Ports, wantPorts) {
		t.Errorf("Setup(%+v), want bridge, hostname web-0 and ports %v", req, wantPorts)
	}
	cfg := h.host.LastConfig(a.ID, "joins")
	if cfg.NetworkIsolation == nil || cfg.NetworkIsolation.Path != "/run/netns/"+a.ID {
		t.Errorf("joining task's NetworkIsolation = %+v, want the allocation's namespace", cfg.NetworkIsolation)
	}
	for k, want := range map[string]string{
		"NOMAD_PORT_http": "8080", "NOMAD_HOST_PORT_http": "25000", "NOMAD_ALLOC_IP_http": "172.26.64.9",
		"NOMAD_ALLOC_ADDR_http": "172.26.64.9:8080", "NOMAD_ADDR_http": "10.0.0.5:25000", "NOMAD_ALLOC_ADDR_admin": "172.26.64.9:9090",
	} {
		if cfg.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, cfg.Env[k], want)
		}
	}
	if hc := h.host.LastConfig(a.ID, "host"); hc.NetworkIsolation != nil {
		t.Errorf("host-only driver got NetworkIsolation %+v", hc.NetworkIsolation)
	}
	if findEvent(got.TaskStates["host"], nomadlike.TaskEventHostNetwork) == nil || findEvent(got.TaskStates["joins"], nomadlike.TaskEventHostNetwork) != nil {
		t.Errorf("Host Network events: %s; want one on the host-only task only", describe(got))
	}
	if got.NetworkStatus == nil || got.NetworkStatus.Address != "172.26.64.9" {
		t.Errorf("alloc NetworkStatus = %+v, want the namespace's", got.NetworkStatus)
	}
	// The namespace goes once the tasks are done, before any GC.
	poll.Until(t, 10*time.Second, "the network teardown", func() (bool, string) {
		_, td := fn.calls()
		return slices.Equal(td, []string{a.ID}), fmt.Sprintf("teardowns %v", td)
	})
}

func TestNetworkHookSetupFailure(t *testing.T) {
	h := newHarness(t)
	fn := &fakeNetwork{err: errors.New("CNI ADD: plugin bridge failed")}
	a := bridgeAlloc()
	a.Job.TaskGroups[0].Tasks = a.Job.TaskGroups[0].Tasks[:1]
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: fakeDrivers{clienttest.NewFakeDriver(h.host, "fake")},
		DB: h.db, Node: func() *nomadlike.Node { return h.node }, Updater: h.updater, Logger: hclog.NewNullLogger(), Network: fn,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ar.Run()
	t.Cleanup(ar.Destroy)
	got := waitStatus(t, ar, nomadlike.AllocClientStatusFailed)
	ev := findEvent(got.TaskStates["joins"], nomadlike.TaskEventSetupFailure)
	if ev == nil || !ev.FailsTask || h.host.Starts(a.ID, "joins") != 0 {
		t.Fatalf("events %s, starts %d; want a Setup Failure and no start", describe(got), h.host.Starts(a.ID, "joins"))
	}
}
