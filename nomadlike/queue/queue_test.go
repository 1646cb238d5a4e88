package queue

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestOrdinal(t *testing.T) {
	cases := map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 101: "101st", 111: "111th"}
	for n, want := range cases {
		if got := Ordinal(n); got != want {
			t.Errorf("Ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReason(t *testing.T) {
	nodes := []NodeFree{
		{Name: "node-1", Free: nomadlike.ComparableResources{CPU: 4000, MemoryMB: 1024, DiskMB: 1000}},
		{Name: "node-7", Free: nomadlike.ComparableResources{CPU: 100, MemoryMB: 2048, DiskMB: 1000}},
	}
	cases := []struct {
		name string
		ask  nomadlike.ComparableResources
		want string
	}{
		{"memory", nomadlike.ComparableResources{CPU: 100, MemoryMB: 4096}, "no node has 4096 MB free memory (largest free: 2048 MB on node-7)"},
		{"cpu", nomadlike.ComparableResources{CPU: 5000, MemoryMB: 10}, "no node has 5000 MHz free CPU (largest free: 4000 MHz on node-1)"},
		{"no single node has both", nomadlike.ComparableResources{CPU: 2000, MemoryMB: 2000}, "no node has 2000 MHz CPU, 2000 MB memory and 0 MB disk free at once"},
		{"fits", nomadlike.ComparableResources{CPU: 100, MemoryMB: 100}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Reason(tc.ask, nodes); got != tc.want {
				t.Fatalf("Reason = %q, want %q", got, tc.want)
			}
		})
	}
	if got, want := Reason(nomadlike.ComparableResources{MemoryMB: 4096}, Anonymous(nodes)), "no node has 4096 MB free memory (largest free: 2048 MB)"; got != want {
		t.Fatalf("Reason without node names = %q, want %q", got, want)
	}
	if got := Reason(nomadlike.ComparableResources{}, nil); got != "no ready node" {
		t.Fatalf("Reason with no nodes = %q", got)
	}
}

// TestInsertKeepsOrder: Insert of seeded random evaluations gives the same
// order as Sort, and the order is priority first, then submission.
func TestInsertKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var line, all []*nomadlike.Evaluation
	for i := 0; i < 200; i++ {
		e := &nomadlike.Evaluation{ID: fmt.Sprint(i), JobID: fmt.Sprintf("j%d", i), Priority: 10 * rng.Intn(5),
			JobModifyIndex: uint64(rng.Intn(50)), CreateIndex: uint64(i)}
		line = Insert(line, e)
		all = append(all, e)
	}
	Sort(all)
	for i := range all {
		if line[i] != all[i] {
			t.Fatalf("position %d: Insert gave %s, Sort %s", i, line[i].ID, all[i].ID)
		}
		if i > 0 {
			a, b := line[i-1], line[i]
			if a.Priority < b.Priority || (a.Priority == b.Priority && a.JobModifyIndex > b.JobModifyIndex) {
				t.Fatalf("position %d out of order: %+v before %+v", i, a, b)
			}
		}
	}
}

func TestBuildListing(t *testing.T) {
	job := func(id string, prio int, mem int) *nomadlike.Job {
		return &nomadlike.Job{ID: id, Namespace: "default", Priority: prio, TaskGroups: []*nomadlike.TaskGroup{
			{Name: "g", Tasks: []*nomadlike.Task{{Name: "t", Resources: &nomadlike.Resources{CPU: 100, MemoryMB: mem}}}}}}
	}
	jobs := map[string]*nomadlike.Job{"low": job("low", 10, 4096), "high": job("high", 80, 4096), "mid": job("mid", 50, 4096)}
	ev := func(id, jobID string, prio int, submit, create uint64, status string) *nomadlike.Evaluation {
		return &nomadlike.Evaluation{ID: id, Namespace: "default", JobID: jobID, Priority: prio, JobModifyIndex: submit,
			CreateIndex: create, Status: status, FailedTGAllocs: map[string]*nomadlike.AllocMetric{"g": {NodesEvaluated: 1, NodesExhausted: 1}}}
	}
	evals := []*nomadlike.Evaluation{
		ev("e1", "low", 10, 1, 5, nomadlike.EvalStatusBlocked),
		ev("e2", "high", 80, 3, 6, nomadlike.EvalStatusBlocked),
		ev("e3", "mid", 50, 2, 7, nomadlike.EvalStatusBlocked),
		ev("e0", "mid", 50, 2, 4, nomadlike.EvalStatusBlocked), // superseded
		ev("e4", "gone", 50, 2, 8, nomadlike.EvalStatusBlocked),
		ev("e5", "low", 10, 1, 9, nomadlike.EvalStatusComplete),
	}
	free := []NodeFree{{Name: "node-7", Free: nomadlike.ComparableResources{CPU: 1000, MemoryMB: 2048}}}
	l := Build(evals, free, func(ns, id string) *nomadlike.Job { return jobs[id] })
	var order []string
	for _, e := range l.Entries {
		order = append(order, e.JobID+"/"+e.EvalID)
	}
	if fmt.Sprint(order) != "[high/e2 mid/e3 low/e1]" || l.Total != 3 {
		t.Fatalf("listing %v (total %d)", order, l.Total)
	}
	want := "queued: 2nd of 3 at priority 50; no node has 4096 MB free memory (largest free: 2048 MB on node-7)"
	if got := l.Find("default", "mid"); got == nil || got.Status != want {
		t.Fatalf("mid status = %+v, want %q", got, want)
	}
}
