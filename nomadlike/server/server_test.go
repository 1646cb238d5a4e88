package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// testConfig is a fast in-memory config on a fresh InmemTransport.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NodeName = "s-" + nomadlike.GenerateUUID()[:6]
	cfg.Dev = true
	cfg.NumSchedulers = 2
	_, trans := raft.NewInmemTransportWithTimeout("", 200*time.Millisecond)
	cfg.RaftTransport = trans
	cfg.RaftTimeouts = &RaftTimeouts{Heartbeat: 100 * time.Millisecond, Election: 100 * time.Millisecond, LeaderLease: 100 * time.Millisecond, Commit: 5 * time.Millisecond}
	cfg.RaftApplyTimeout = 5 * time.Second
	cfg.ClientUpdateBatch = 5 * time.Millisecond
	cfg.DrainCheckInterval = 20 * time.Millisecond
	cfg.EvalNackInitialDelay = 10 * time.Millisecond
	cfg.EvalNackSubsequentDelay = 10 * time.Millisecond
	return cfg
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown() })
	return s
}

func waitLeader(t *testing.T, servers ...*Server) *Server {
	t.Helper()
	var leader *Server
	poll.Until(t, 10*time.Second, "a leader", func() (bool, string) {
		for _, s := range servers {
			if s.IsLeader() {
				leader = s
				return true, ""
			}
		}
		return false, "no server is leader"
	})
	return leader
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		field  string // "" when valid
	}{
		{"dev default", func(c *Config) { c.Dev = true }, ""},
		{"data dir", func(c *Config) { c.DataDir = "/tmp/x" }, ""},
		{"no data dir", func(c *Config) {}, "DataDir"},
		{"no name", func(c *Config) { c.Dev, c.NodeName = true, "" }, "NodeName"},
		{"dev with 3", func(c *Config) { c.Dev, c.BootstrapExpect = true, 3 }, "BootstrapExpect"},
		{"bad retry join", func(c *Config) { c.Dev, c.RetryJoin = true, []string{"nohost"} }, "RetryJoin[0]"},
		{"bad scheduler", func(c *Config) { c.Dev, c.EnabledSchedulers = true, []string{"cron"} }, "EnabledSchedulers[0]"},
		{"zero heartbeat rate", func(c *Config) { c.Dev, c.MaxHeartbeatsPerSecond = true, 0 }, "MaxHeartbeatsPerSecond"},
		{"broker limit", func(c *Config) { c.Dev, c.EvalDeliveryLimit = true, 0 }, "DeliveryLimit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
}

// liveAllocs returns the job's allocations that should run.
func liveAllocs(t *testing.T, s *Server, job *nomadlike.Job) []*nomadlike.Allocation {
	t.Helper()
	all, err := s.State().AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatalf("AllocsByJob: %v", err)
	}
	var out []*nomadlike.Allocation
	for _, a := range all {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

func registerNodes(t *testing.T, s *Server, n int, mutate func(*nomadlike.Node)) []*nomadlike.Node {
	t.Helper()
	var out []*nomadlike.Node
	for i := 0; i < n; i++ {
		node := fixture.Node()
		if mutate != nil {
			mutate(node)
		}
		if _, _, err := s.RegisterNode(node, "127.0.0.1"); err != nil {
			t.Fatalf("RegisterNode: %v", err)
		}
		out = append(out, node)
	}
	return out
}

// secretOf returns the SecretID of a registered node.
func secretOf(t *testing.T, s *Server, nodeID string) string {
	t.Helper()
	n, err := s.State().NodeByID(nil, nodeID)
	if err != nil || n == nil {
		t.Fatalf("node %s: %v, %v", nodeID, n, err)
	}
	return n.SecretID
}

func TestEndToEndPlacement(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	nodes := registerNodes(t, s, 3, nil)
	job := fixture.Job()
	evalID, index, _, err := s.RegisterJob(job, false, 0)
	if err != nil {
		t.Fatalf("RegisterJob: %v", err)
	}
	if evalID == "" || index == 0 {
		t.Fatalf("RegisterJob = eval %q index %d, want both set", evalID, index)
	}
	poll.Until(t, 10*time.Second, "3 placements", func() (bool, string) {
		live := liveAllocs(t, s, job)
		return len(live) == 3, fmt.Sprintf("%d live allocs", len(live))
	})
	poll.Until(t, 10*time.Second, "eval complete", func() (bool, string) {
		e, _ := s.State().EvalByID(nil, evalID)
		return e != nil && e.Status == nomadlike.EvalStatusComplete, fmt.Sprintf("eval %+v", e)
	})
	known := map[string]bool{}
	for _, n := range nodes {
		known[n.ID] = true
	}
	for _, a := range liveAllocs(t, s, job) {
		if !known[a.NodeID] {
			t.Fatalf("alloc %s placed on unknown node %s", a.ID, a.NodeID)
		}
	}

	// Deregister stops them.
	if _, _, err := s.DeregisterJob(job.Namespace, job.ID, false); err != nil {
		t.Fatalf("DeregisterJob: %v", err)
	}
	poll.Until(t, 10*time.Second, "allocations stopped", func() (bool, string) {
		live := liveAllocs(t, s, job)
		return len(live) == 0, fmt.Sprintf("%d live allocs", len(live))
	})
}

func TestRegisterJobCheckIndex(t *testing.T) {
	s := startServer(t, testConfig(t))
	waitLeader(t, s)
	job := fixture.Job()
	if _, _, _, err := s.RegisterJob(job, true, 0); err != nil {
		t.Fatalf("first check-index register: %v", err)
	}
	stored, _ := s.State().JobByID(nil, job.Namespace, job.ID)
	bad := fixture.Job()
	bad.ID = job.ID
	bad.TaskGroups[0].Tasks = nil
	cases := []struct {
		name    string
		job     *nomadlike.Job
		enforce bool
		index   uint64
		want    error
	}{
		{"exists with index 0", job, true, 0, nomadlike.ErrIndexMismatch},
		{"stale index", job, true, stored.JobModifyIndex + 100, nomadlike.ErrIndexMismatch},
		{"invalid job", bad, false, 0, nomadlike.ErrValidation},
		{"current index", job, true, stored.JobModifyIndex, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := s.RegisterJob(tc.job, tc.enforce, tc.index)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("RegisterJob = %v, want %v", err, tc.want)
			}
		})
	}
	periodic := fixture.BatchJob(1)
	periodic.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "*/5 * * * *"}
	periodic.Canonicalize()
	evalID, _, _, err := s.RegisterJob(periodic, false, 0)
	if err != nil || evalID != "" {
		t.Fatalf("RegisterJob(periodic) = eval %q, %v; want no eval", evalID, err)
	}
}
