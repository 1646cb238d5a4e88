package allocrunner

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/checks"
	"github.com/nomadlike/nomadlike/nomadlike/client/clienttest"
)

// startWithChecks runs a with a running checks.Manager.
func (h *harness) startWithChecks(a *nomadlike.Allocation) *AllocRunner {
	h.t.Helper()
	m := checks.New(checks.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
	ar, err := New(Config{
		Alloc: a, AllocsDir: h.dir, Drivers: fakeDrivers{clienttest.NewFakeDriver(h.host, "fake")},
		DB: h.db, Node: func() *nomadlike.Node { return h.node }, Updater: h.updater,
		Logger: hclog.NewNullLogger(), Checks: m,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	go ar.Run()
	h.t.Cleanup(ar.Destroy)
	return ar
}

// deployedAlloc is a long-running allocation placed by a deployment, a
// canary, with the update block's health settings and a task service
// with chk on port label "web" (127.0.0.1:port).
func deployedAlloc(u *nomadlike.UpdateStrategy, port int, chk *nomadlike.ServiceCheck) *nomadlike.Allocation {
	tk := task("web", map[string]any{"run_for": "1h"})
	if chk != nil {
		tk.Services = []*nomadlike.Service{{Name: "web", PortLabel: "web", Checks: []*nomadlike.ServiceCheck{chk}}}
	}
	tk.RestartPolicy = &nomadlike.RestartPolicy{Attempts: 5, Interval: time.Hour, Delay: 5 * time.Millisecond, Mode: "fail"}
	a := batchAlloc(tk)
	a.Job.TaskGroups[0].Update = u
	a.DeploymentID = "d-1"
	a.DeploymentStatus = &nomadlike.AllocDeploymentStatus{Canary: true, ModifyIndex: 7}
	a.AllocatedResources = &nomadlike.AllocatedResources{Shared: nomadlike.AllocatedSharedResources{
		Ports: []nomadlike.AllocatedPort{{Label: "web", Value: port, HostIP: "127.0.0.1"}},
	}}
	return a
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func waitHealth(t *testing.T, h *harness) *nomadlike.AllocDeploymentStatus {
	t.Helper()
	var ds *nomadlike.AllocDeploymentStatus
	poll.Until(t, 10*time.Second, "the deployment health verdict", func() (bool, string) {
		if a := h.updater.Last(); a != nil {
			ds = a.DeploymentStatus
		}
		return ds != nil && ds.Healthy != nil, fmt.Sprintf("deployment status %+v", ds)
	})
	return ds
}

func TestDeploymentHealth(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	open := l.Addr().(*net.TCPAddr).Port
	tcp := &nomadlike.ServiceCheck{Name: "port", Type: "tcp", Interval: 20 * time.Millisecond, Timeout: time.Second}
	tests := []struct {
		name    string
		mode    string
		port    int
		chk     *nomadlike.ServiceCheck
		healthy bool
	}{
		{"task_states healthy", checks.HealthTaskStates, closedPort(t), tcp, true},
		{"checks passing healthy", checks.HealthChecks, open, tcp, true},
		{"checks failing unhealthy at deadline", checks.HealthChecks, closedPort(t), tcp, false},
		{"ignored check does not count", checks.HealthChecks, closedPort(t),
			&nomadlike.ServiceCheck{Name: "p", Type: "tcp", Interval: 20 * time.Millisecond, OnUpdate: "ignore"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := &nomadlike.UpdateStrategy{HealthCheck: tc.mode, MinHealthyTime: 50 * time.Millisecond, HealthyDeadline: 500 * time.Millisecond}
			h.startWithChecks(deployedAlloc(u, tc.port, tc.chk))
			ds := waitHealth(t, h)
			if *ds.Healthy != tc.healthy || !ds.Canary || ds.ModifyIndex != 7 || ds.Timestamp.IsZero() {
				t.Fatalf("deployment status %+v (healthy %v), want healthy %v, canary kept", ds, *ds.Healthy, tc.healthy)
			}
		})
	}
}

func TestDeploymentHealthManualAndNoDeployment(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mode       string
		deployment string
	}{{"manual", checks.HealthManual, "d-1"}, {"no deployment", checks.HealthTaskStates, ""}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			a := deployedAlloc(&nomadlike.UpdateStrategy{HealthCheck: tc.mode, MinHealthyTime: time.Millisecond, HealthyDeadline: time.Second}, 1, nil)
			a.DeploymentID = tc.deployment
			ar := h.startWithChecks(a)
			waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
			// Well past min_healthy_time: still no verdict.
			deadline := time.Now().Add(200 * time.Millisecond)
			poll.Until(t, 5*time.Second, "the deadline", func() (bool, string) { return time.Now().After(deadline), "" })
			if ds := h.updater.Last().DeploymentStatus; ds.IsHealthy() || ds.IsUnhealthy() {
				t.Fatalf("verdict set: %+v", ds)
			}
		})
	}
}

// TestCheckRestartThroughPolicy: a failing check with check_restart
// restarts the task through its restart policy (counted, with the reason).
func TestCheckRestartThroughPolicy(t *testing.T) {
	h := newHarness(t)
	chk := &nomadlike.ServiceCheck{Name: "port", Type: "tcp", Interval: 20 * time.Millisecond, Timeout: time.Second,
		CheckRestart: &nomadlike.CheckRestart{Limit: 2}}
	a := deployedAlloc(nil, closedPort(t), chk)
	ar := h.startWithChecks(a)
	poll.Until(t, 10*time.Second, "a restart", func() (bool, string) {
		ts := ar.Alloc().TaskStates["web"]
		return ts.Restarts >= 1 && h.host.Starts(a.ID, "web") >= 2, describe(ar.Alloc())
	})
	ts := ar.Alloc().TaskStates["web"]
	sig := findEvent(ts, nomadlike.TaskEventRestartSignal)
	if sig == nil || !strings.Contains(sig.DisplayMessage+sig.RestartReason+sig.Message, `check "port" unhealthy`) {
		t.Fatalf("no check restart event: %s", describe(ar.Alloc()))
	}
	if r := findEvent(ts, nomadlike.TaskEventRestarting); r == nil || r.RestartReason != ReasonWithinPolicy {
		t.Fatalf("restart not through the policy: %+v", r)
	}
}
