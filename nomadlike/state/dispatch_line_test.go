package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestDispatchLineMatchesModel: through random dispatches (some two at one
// raft index), placements, finishes, stops and deletions of a parent's
// children, the dispatch_line index gives the line nomadlike.DispatchQueue
// builds from every child, and Snapshot.DispatchAdmitted answers as
// nomadlike.DispatchAdmitted for every child; a snapshot restored from a
// dump gives the same line.
func TestDispatchLineMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 15))
			s := newStore(t)
			parent := fixture.BatchJob(1)
			parent.ID, parent.Name = "render", "render"
			parent.ParameterizedJob = &nomadlike.ParameterizedJobConfig{Payload: nomadlike.DispatchPayloadOptional, MaxConcurrent: 1 + r.IntN(4)}
			parent = storeJob(t, s, 1, parent)
			d := &dispatchSim{t: t, r: r, s: s, parent: parent, node: fixture.Node(), index: 1}
			for step := range 80 {
				d.step(step)
				checkDispatchLine(t, s, parent)
			}
			var buf bytes.Buffer
			_, err := s.WriteTo(&buf)
			must(t, err)
			restored, err := RestoreFrom(&buf)
			must(t, err)
			want, err := s.DispatchLine(nil, parent.Namespace, parent.ID, 0)
			must(t, err)
			got, err := restored.DispatchLine(nil, parent.Namespace, parent.ID, 0)
			must(t, err)
			if !slices.Equal(jobIDs(got), jobIDs(want)) {
				t.Errorf("restored line %v, want %v", jobIDs(got), jobIDs(want))
			}
			checkDispatchLine(t, restored, parent)
		})
	}
}

// dispatchSim drives random changes to a parent's dispatched children.
type dispatchSim struct {
	t      *testing.T
	r      *rand.Rand
	s      *StateStore
	parent *nomadlike.Job
	node   *nomadlike.Node
	index  uint64
	ids    []string
	allocs []*nomadlike.Allocation
}

func (d *dispatchSim) child(n int) *nomadlike.Job {
	c := fixture.BatchJob(1)
	c.ID = fmt.Sprintf("render/dispatch-%03d", n)
	c.Name = c.ID
	c.ParentID, c.Dispatched, c.ParameterizedJob = d.parent.ID, true, d.parent.ParameterizedJob
	return c
}

func (d *dispatchSim) current() *nomadlike.Job {
	c, err := d.s.JobByID(nil, d.parent.Namespace, d.ids[d.r.IntN(len(d.ids))])
	must(d.t, err)
	return c
}

func (d *dispatchSim) step(step int) {
	t := d.t
	d.index++
	switch op := d.r.IntN(6); {
	case op <= 1 || len(d.ids) == 0:
		// Dispatch one child, or two at one index in reverse ID order
		// (the line breaks the CreateIndex tie by ID).
		n := 1 + d.r.IntN(2)
		for i := n - 1; i >= 0; i-- {
			c := d.child(2*step + i)
			must(t, d.s.UpsertJob(d.index, c))
			d.ids = append(d.ids, c.ID)
		}
	case op == 2:
		if c := d.current(); c != nil {
			a := allocFor(c, d.node, step, nomadlike.AllocClientStatusPending)
			must(t, d.s.UpsertAllocs(d.index, []*nomadlike.Allocation{a}))
			d.allocs = append(d.allocs, a)
		}
	case op == 3 && len(d.allocs) > 0:
		st := []string{nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed}[d.r.IntN(3)]
		must(t, d.s.UpdateAllocsFromClient(d.index, []*nomadlike.Allocation{{ID: d.allocs[d.r.IntN(len(d.allocs))].ID, ClientStatus: st}}))
	case op == 4:
		if c := d.current(); c != nil {
			must(t, d.s.DeleteJob(d.index, c.Namespace, c.ID))
		}
	default:
		if c := d.current(); c != nil {
			stopped := c.Copy()
			stopped.Stop = true
			must(t, d.s.UpsertJob(d.index, stopped))
		}
	}
}

// checkDispatchLine compares the index with the model built from every
// child.
func checkDispatchLine(t *testing.T, s *StateStore, parent *nomadlike.Job) {
	t.Helper()
	kids, err := s.JobsByParent(nil, parent.Namespace, parent.ID)
	must(t, err)
	var want []string
	if q := nomadlike.NewDispatchQueue(parent, kids); q != nil {
		want = jobIDs(q.Live)
	}
	line, err := s.DispatchLine(nil, parent.Namespace, parent.ID, 0)
	must(t, err)
	if got := jobIDs(line); !slices.Equal(got, want) {
		t.Fatalf("dispatch line %v, model %v", got, want)
	}
	head, err := s.DispatchLine(nil, parent.Namespace, parent.ID, parent.MaxConcurrent())
	must(t, err)
	if got := jobIDs(head); !slices.Equal(got, want[:min(len(want), parent.MaxConcurrent())]) {
		t.Fatalf("head of the line %v, model %v", got, want)
	}
	snap, err := s.Snapshot()
	must(t, err)
	for _, k := range kids {
		got, err := snap.DispatchAdmitted(parent.Namespace, parent.ID, k.ID, parent.MaxConcurrent())
		must(t, err)
		if want := nomadlike.DispatchAdmitted(parent, kids, k.ID); got != want {
			t.Fatalf("DispatchAdmitted(%s) = %v, model %v (line %v)", k.ID, got, want, jobIDs(line))
		}
	}
}

func jobIDs(jobs []*nomadlike.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}
