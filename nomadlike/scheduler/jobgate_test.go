package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler"
	"github.com/nomadlike/nomadlike/nomadlike/scheduler/schedtest"
)

// TestJobHeld: the scheduler places nothing for a job whose job-level
// depends_on is not met, nor for a dispatched child beyond its parent's
// max_concurrent line; it places the others.
func TestJobHeld(t *testing.T) {
	cases := []struct {
		name  string
		setup func(h *schedtest.Harness) *nomadlike.Job
		want  int // allocations placed
	}{
		{"dependency running", func(h *schedtest.Harness) *nomadlike.Job {
			h.UpsertJob(namedBatch("build"))
			return h.UpsertJob(withDeps(namedBatch("deploy"), "build"))
		}, 0},
		{"stopped dependency does not meet success", func(h *schedtest.Harness) *nomadlike.Job {
			b := namedBatch("build")
			b.Stop = true
			h.UpsertJob(b)
			return h.UpsertJob(withDeps(namedBatch("deploy"), "build"))
		}, 0},
		{"condition complete on a stopped job", func(h *schedtest.Harness) *nomadlike.Job {
			b := namedBatch("build")
			b.Stop = true
			h.UpsertJob(b)
			j := withDeps(namedBatch("deploy"), "build")
			j.DependsOn[0].Condition = nomadlike.DependsComplete
			return h.UpsertJob(j)
		}, 1},
		{"within max_concurrent", func(h *schedtest.Harness) *nomadlike.Job {
			return dispatchChildren(h, 2, 2)[1]
		}, 1},
		{"beyond max_concurrent", func(h *schedtest.Harness) *nomadlike.Job {
			return dispatchChildren(h, 2, 3)[2]
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := schedtest.New(t)
			h.AddNodes(benchNodes(2)...)
			job := tc.setup(h)
			if err := h.Process(scheduler.DefaultConfig(), fixture.Eval(job)); err != nil {
				t.Fatal(err)
			}
			if got := len(h.LiveAllocs(job)); got != tc.want {
				t.Fatalf("placed %d, want %d", got, tc.want)
			}
		})
	}
}

func namedBatch(id string) *nomadlike.Job {
	j := fixture.BatchJob(1)
	j.ID, j.Name = id, id
	return j
}

func withDeps(j *nomadlike.Job, deps ...string) *nomadlike.Job {
	for _, d := range deps {
		j.DependsOn = append(j.DependsOn, &nomadlike.JobDependency{Job: d, Condition: nomadlike.DependsSuccess})
	}
	return j
}

// dispatchChildren stores a parameterized parent with max_concurrent =
// limit and n dispatched children, in dispatch order.
func dispatchChildren(h *schedtest.Harness, limit, n int) []*nomadlike.Job {
	parent := namedBatch("render")
	parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadOptional, MaxConcurrent: limit}
	h.UpsertJob(parent)
	var out []*nomadlike.Job
	for i := range n {
		c := namedBatch(fmt.Sprintf("render/dispatch-%d", i))
		c.ParentID, c.Dispatched = parent.ID, true
		c.ParameterizedJob = parent.ParameterizedJob
		out = append(out, h.UpsertJob(c))
	}
	return out
}
