package gc

import (
	"slices"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixNano() }

func job(id, typ, status string, stop bool) *nomadlike.Job {
	return &nomadlike.Job{ID: id, Namespace: "default", Type: typ, Status: status, Stop: stop,
		SubmitTime: at(0), JobModifyIndex: 7}
}

func eval(id, jobID, typ, status string, mod time.Duration) *nomadlike.Evaluation {
	return &nomadlike.Evaluation{ID: id, Namespace: "default", JobID: jobID, Type: typ, Status: status, ModifyTime: at(mod)}
}

func alloc(id, jobID, evalID, node, client string, mod time.Duration) *nomadlike.Allocation {
	return &nomadlike.Allocation{ID: id, Namespace: "default", JobID: jobID, EvalID: evalID, NodeID: node,
		DesiredStatus: nomadlike.AllocDesiredStatusRun, ClientStatus: client, ModifyTime: at(mod)}
}

func node(id, status string, updated time.Duration) *nomadlike.Node {
	return &nomadlike.Node{ID: id, Status: status, StatusUpdatedAt: t0.Add(updated).Unix()}
}

const (
	batch   = nomadlike.JobTypeBatch
	service = nomadlike.JobTypeService
	dead    = nomadlike.JobStatusDead
	running = nomadlike.JobStatusRunning
	done    = nomadlike.AllocClientStatusComplete
	live    = nomadlike.AllocClientStatusRunning
	ready   = nomadlike.NodeStatusReady
	down    = nomadlike.NodeStatusDown
	evDone  = nomadlike.EvalStatusComplete
	evOpen  = nomadlike.EvalStatusPending
)

func TestSelect(t *testing.T) {
	th := Thresholds{Job: 4 * time.Hour, Eval: time.Hour, BatchEval: 24 * time.Hour, Node: 24 * time.Hour}
	cases := []struct {
		name  string
		in    Input
		want  Result
		force bool
	}{
		{
			name: "dead batch job past the job threshold goes with its evals and allocs",
			in: Input{Now: t0.Add(5 * time.Hour),
				Jobs:   []*nomadlike.Job{job("j", batch, dead, false)},
				Evals:  []*nomadlike.Evaluation{eval("e", "j", batch, evDone, 0)},
				Allocs: []*nomadlike.Allocation{alloc("a", "j", "e", "n", done, time.Minute)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
			want: Result{Jobs: []Job{{"default", "j", 7}}, Evals: []string{"e"}, Allocs: []string{"a"}},
		},
		{
			name: "dead batch job younger than the job threshold stays",
			in: Input{Now: t0.Add(3 * time.Hour),
				Jobs:   []*nomadlike.Job{job("j", batch, dead, false)},
				Evals:  []*nomadlike.Evaluation{eval("e", "j", batch, evDone, 0)},
				Allocs: []*nomadlike.Allocation{alloc("a", "j", "e", "n", done, time.Minute)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
		},
		{
			name: "age counts from the last allocation change",
			in: Input{Now: t0.Add(5 * time.Hour),
				Jobs:   []*nomadlike.Job{job("j", batch, dead, false)},
				Allocs: []*nomadlike.Allocation{alloc("a", "j", "e", "n", done, 2*time.Hour)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
		},
		{
			name: "force ignores thresholds",
			in: Input{Now: t0, Force: true,
				Jobs:   []*nomadlike.Job{job("j", batch, dead, false)},
				Evals:  []*nomadlike.Evaluation{eval("e", "j", batch, evDone, 0)},
				Allocs: []*nomadlike.Allocation{alloc("a", "j", "e", "n", done, 0)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
			want: Result{Jobs: []Job{{"default", "j", 7}}, Evals: []string{"e"}, Allocs: []string{"a"}},
		},
		{
			name: "force never takes a running job or its live allocation",
			in: Input{Now: t0, Force: true,
				Jobs:   []*nomadlike.Job{job("j", batch, running, false)},
				Evals:  []*nomadlike.Evaluation{eval("e", "j", batch, evDone, 0)},
				Allocs: []*nomadlike.Allocation{alloc("a", "j", "e", "n", live, 0)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
		},
		{
			name: "a dead service job that is not stopped stays (Nomad's rule)",
			in: Input{Now: t0, Force: true,
				Jobs:   []*nomadlike.Job{job("j", service, dead, false)},
				Allocs: []*nomadlike.Allocation{alloc("a", "j", "e", "n", nomadlike.AllocClientStatusFailed, 0)}},
		},
		{
			name: "a stopped service job goes",
			in: Input{Now: t0, Force: true,
				Jobs: []*nomadlike.Job{job("j", service, dead, true)}},
			want: Result{Jobs: []Job{{"default", "j", 7}}},
		},
		{
			name: "a job with an open evaluation stays",
			in: Input{Now: t0, Force: true,
				Jobs:  []*nomadlike.Job{job("j", batch, dead, false)},
				Evals: []*nomadlike.Evaluation{eval("e", "j", batch, evOpen, 0)}},
		},
		{
			name: "a periodic parent goes only when stopped",
			in: Input{Now: t0, Force: true, Jobs: []*nomadlike.Job{
				func() *nomadlike.Job {
					j := job("p", batch, running, false)
					j.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "* * * * *"}
					return j
				}()}},
		},
		{
			name: "a live batch job's old terminal eval goes after the batch threshold, its allocs stay",
			in: Input{Now: t0.Add(25 * time.Hour),
				Jobs:   []*nomadlike.Job{job("j", batch, running, false)},
				Evals:  []*nomadlike.Evaluation{eval("e1", "j", batch, evDone, 0), eval("e2", "j", batch, evDone, 2*time.Hour)},
				Allocs: []*nomadlike.Allocation{alloc("a1", "j", "e1", "n", done, 0), alloc("a2", "j", "e2", "n", live, 0)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
			want: Result{Evals: []string{"e1"}},
		},
		{
			name: "a service eval goes after the eval threshold with its replaced allocs",
			in: Input{Now: t0.Add(2 * time.Hour),
				Jobs:  []*nomadlike.Job{job("j", service, running, false)},
				Evals: []*nomadlike.Evaluation{eval("e1", "j", service, evDone, 0)},
				Allocs: []*nomadlike.Allocation{func() *nomadlike.Allocation {
					a := alloc("a1", "j", "e1", "n", nomadlike.AllocClientStatusFailed, 0)
					a.NextAllocation = "a2"
					return a
				}(), alloc("a3", "j", "e1", "n", done, 0)},
				Nodes: []*nomadlike.Node{node("n", ready, 0)}},
			want: Result{Evals: []string{"e1"}, Allocs: []string{"a1"}},
		},
		{
			name: "a purged job's terminal eval and allocs go at once, orphans too",
			in: Input{Now: t0,
				Evals:  []*nomadlike.Evaluation{eval("e", "gone", batch, evDone, 0)},
				Allocs: []*nomadlike.Allocation{alloc("a", "gone", "e", "n", done, 0), alloc("o", "gone", "lost-eval", "n", done, 0)},
				Nodes:  []*nomadlike.Node{node("n", ready, 0)}},
			want: Result{Evals: []string{"e"}, Allocs: []string{"a", "o"}},
		},
		{
			name: "a stopped alloc still running on a ready node stays",
			in: Input{Now: t0, Force: true,
				Allocs: []*nomadlike.Allocation{func() *nomadlike.Allocation {
					a := alloc("a", "gone", "x", "n", live, 0)
					a.DesiredStatus = nomadlike.AllocDesiredStatusStop
					return a
				}()},
				Nodes: []*nomadlike.Node{node("n", ready, 0)}},
		},
		{
			name: "down nodes past the node threshold without live allocs go",
			in: Input{Now: t0.Add(25 * time.Hour),
				Nodes: []*nomadlike.Node{node("old", down, 0), node("new", down, 2*time.Hour), node("up", ready, 0), node("busy", down, 0)},
				Jobs:  []*nomadlike.Job{job("j", service, running, false)},
				Allocs: []*nomadlike.Allocation{
					alloc("a", "j", "e", "busy", live, 0)},
				Evals: []*nomadlike.Evaluation{eval("e", "j", service, evOpen, 0)}},
			want: Result{Nodes: []string{"old"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Select(tc.in, th)
			for _, s := range [][]string{got.Evals, got.Allocs, tc.want.Evals, tc.want.Allocs} {
				slices.Sort(s)
			}
			if !equal(got, tc.want) {
				t.Fatalf("Select:\n got  %+v\n want %+v", got, tc.want)
			}
		})
	}
}

func equal(a, b Result) bool {
	return slices.Equal(a.Jobs, b.Jobs) && slices.Equal(a.Evals, b.Evals) &&
		slices.Equal(a.Allocs, b.Allocs) && slices.Equal(a.Nodes, b.Nodes)
}

func TestBatches(t *testing.T) {
	ids := func(p string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = p + string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		return out
	}
	r := Result{Jobs: []Job{{ID: "j1"}, {ID: "j2"}}, Evals: ids("e", 5), Allocs: ids("a", 2500), Nodes: ids("n", 3)}
	cases := []struct {
		name    string
		max     int
		batches int
	}{
		{name: "1000 per entry", max: 1000, batches: 4},
		{name: "small", max: 7, batches: 359 + 1},
		{name: "zero means one", max: 0, batches: 2510},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs := Batches(r, tc.max)
			if len(bs) != tc.batches {
				t.Fatalf("%d batches, want %d", len(bs), tc.batches)
			}
			var all Result
			for i, b := range bs {
				if b.Len() > max(tc.max, 1) || b.Len() == 0 {
					t.Fatalf("batch %d has %d objects (max %d)", i, b.Len(), tc.max)
				}
				if len(b.Nodes) > 0 && b.Len() != len(b.Nodes) {
					t.Fatalf("batch %d mixes nodes with other objects", i)
				}
				all.Jobs = append(all.Jobs, b.Jobs...)
				all.Evals = append(all.Evals, b.Evals...)
				all.Allocs = append(all.Allocs, b.Allocs...)
				all.Nodes = append(all.Nodes, b.Nodes...)
			}
			if !equal(all, r) {
				t.Fatal("batches do not add up to the result, in order")
			}
			if len(bs[0].Jobs) == 0 || bs[0].Jobs[0].ID != "j1" {
				t.Fatal("jobs do not come first")
			}
		})
	}
}
