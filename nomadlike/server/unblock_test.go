package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestNodeUpdateUnblocksEvals registers a job that no node can run, waits for
// its evaluation to block, then changes the (still ready) node the way a
// client re-registering after a fingerprint change does. The blocked
// evaluation must run again and place, without anyone forcing an evaluation.
func TestNodeUpdateUnblocksEvals(t *testing.T) {
	cases := []struct {
		name   string
		job    func(*nomadlike.Job)
		before func(*nomadlike.Node) // the node as first registered
		after  func(*nomadlike.Node) // the node as registered again
	}{
		{
			name: "driver becomes healthy",
			job:  func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Driver = "raw_exec" },
			before: func(n *nomadlike.Node) {
				n.Drivers["raw_exec"] = &nomadlike.DriverInfo{Detected: true, Healthy: false, HealthDescription: "disabled"}
				delete(n.Attributes, "driver.raw_exec")
			},
			after: func(n *nomadlike.Node) {
				n.Drivers["raw_exec"] = &nomadlike.DriverInfo{Detected: true, Healthy: true, HealthDescription: "Healthy"}
				n.Attributes["driver.raw_exec"] = "1"
			},
		},
		{
			name: "new driver detected",
			job:  func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Driver = "containerd" },
			after: func(n *nomadlike.Node) {
				n.Drivers["containerd"] = &nomadlike.DriverInfo{Detected: true, Healthy: true, HealthDescription: "Healthy"}
			},
		},
		{
			name: "attribute appears",
			job: func(j *nomadlike.Job) {
				j.Constraints = append(j.Constraints, &nomadlike.Constraint{LTarget: "${attr.gpu.model}", RTarget: "a100", Operand: "="})
			},
			after: func(n *nomadlike.Node) { n.Attributes["gpu.model"] = "a100" },
		},
		{
			name:   "more memory",
			job:    func(j *nomadlike.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 6000 },
			before: func(n *nomadlike.Node) { n.NodeResources.Memory.MemoryMB = 4096 },
			after:  func(n *nomadlike.Node) { n.NodeResources.Memory.MemoryMB = 8192 },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, testConfig(t))
			waitLeader(t, s)
			node := fixture.Node()
			if tc.before != nil {
				tc.before(node)
			}
			if _, _, err := s.RegisterNode(node, "127.0.0.1"); err != nil {
				t.Fatalf("RegisterNode: %v", err)
			}
			job := fixture.BatchJob(1)
			tc.job(job)
			evalID, _, _, err := s.RegisterJob(job, false, 0)
			if err != nil {
				t.Fatalf("RegisterJob: %v", err)
			}
			poll.Until(t, 10*time.Second, "a blocked evaluation", func() (bool, string) {
				e, _ := s.State().EvalByID(nil, evalID)
				if e == nil || e.BlockedEval == "" {
					return false, fmt.Sprintf("eval %+v", e)
				}
				b, _ := s.State().EvalByID(nil, e.BlockedEval)
				return b != nil && b.Status == nomadlike.EvalStatusBlocked && s.blocked.Get(job.Namespace, job.ID) != nil,
					fmt.Sprintf("blocked eval %+v", b)
			})

			updated := node.Copy()
			tc.after(updated)
			if _, _, err := s.RegisterNode(updated, "127.0.0.1"); err != nil {
				t.Fatalf("RegisterNode (update): %v", err)
			}
			poll.Until(t, 10*time.Second, "the blocked job placed", func() (bool, string) {
				n := len(liveAllocs(t, s, job))
				return n == 1, fmt.Sprintf("%d live allocs", n)
			})
		})
	}
}

func TestCapabilitiesChanged(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*nomadlike.Node)
		want   bool
	}{
		{"nothing", func(*nomadlike.Node) {}, false},
		{"driver update time only", func(n *nomadlike.Node) { n.Drivers["exec"].UpdateTime = time.Now() }, false},
		{"status description", func(n *nomadlike.Node) { n.StatusDescription = "hello" }, false},
		{"driver unhealthy", func(n *nomadlike.Node) { n.Drivers["exec"].Healthy = false }, true},
		{"new driver", func(n *nomadlike.Node) { n.Drivers["docker"] = &nomadlike.DriverInfo{Detected: true, Healthy: true} }, true},
		{"unique attribute", func(n *nomadlike.Node) { n.Attributes["unique.hostname"] = "other" }, true},
		{"meta", func(n *nomadlike.Node) { n.Meta["rack"] = "r2" }, true},
		{"node class", func(n *nomadlike.Node) { n.NodeClass = "gpu" }, true},
		{"cpu", func(n *nomadlike.Node) { n.NodeResources.Cpu.CpuShares = 8000 }, true},
		{"reserved", func(n *nomadlike.Node) { n.ReservedResources.Memory.MemoryMB = 512 }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := fixture.Node()
			cur := old.Copy()
			tc.mutate(cur)
			if got := capabilitiesChanged(old, cur); got != tc.want {
				t.Errorf("capabilitiesChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
