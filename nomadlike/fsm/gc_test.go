package fsm

import (
	"bytes"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// TestGCMessageTypes: the garbage collection types keep their explicit
// numbers and names (they are stored in raft logs).
func TestGCMessageTypes(t *testing.T) {
	cases := []struct {
		typ  MessageType
		num  uint8
		name string
	}{
		{GCPurgeRequestType, 60, "GCPurge"},
		{GCNodesRequestType, 61, "GCNodes"},
		{ReconcileSummariesRequestType, 62, "ReconcileSummaries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if uint8(tc.typ) != tc.num || tc.typ.String() != tc.name || handlers[tc.typ] == nil {
				t.Errorf("type %d = %q (handler %v), want %d %q", tc.typ, tc.typ, handlers[tc.typ] != nil, tc.num, tc.name)
			}
		})
	}
}

// TestGCApplyAndSnapshot: a GCPurge entry deletes a finished job with its
// evaluation and allocations, keeps what is no longer collectable on the
// state it applies to (a live allocation, an open evaluation, a job
// registered again), a GCNodes entry deletes a down node and keeps a
// ready one, and the snapshot taken after holds none of the deleted
// objects.
func TestGCApplyAndSnapshot(t *testing.T) {
	f := newFSM(t)
	n1, n2 := fixture.Node(), fixture.Node()
	apply(t, f, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: n1})
	apply(t, f, 2, NodeRegisterRequestType, &NodeRegisterRequest{Node: n2})
	apply(t, f, 3, NodeUpdateStatusRequestType, &NodeUpdateStatusRequest{NodeID: n2.ID, Status: nomadlike.NodeStatusDown})

	done, again := fixture.BatchJob(2), fixture.BatchJob(1)
	apply(t, f, 4, JobRegisterRequestType, &JobRegisterRequest{Job: done})
	apply(t, f, 5, JobRegisterRequestType, &JobRegisterRequest{Job: again})
	ev, open := fixture.Eval(done), fixture.Eval(again)
	ev.Status = nomadlike.EvalStatusComplete
	a0, a1, live := fixture.Alloc(done, n1, 0), fixture.Alloc(done, n1, 1), fixture.Alloc(again, n1, 0)
	a0.EvalID, a1.EvalID, live.EvalID = ev.ID, ev.ID, open.ID
	a0.ClientStatus, a1.ClientStatus = nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed
	apply(t, f, 6, EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*nomadlike.Evaluation{ev, open}})
	apply(t, f, 7, AllocUpdateRequestType, &AllocUpdateRequest{Allocs: []*nomadlike.Allocation{a0, a1, live}})

	st := f.State()
	stored, err := st.JobByID(nil, done.Namespace, done.ID)
	must(t, err)
	storedAgain, err := st.JobByID(nil, again.Namespace, again.ID)
	must(t, err)
	apply(t, f, 8, GCPurgeRequestType, &GCPurgeRequest{
		Jobs: []state.GCJob{
			{Namespace: done.Namespace, ID: done.ID, JobModifyIndex: stored.JobModifyIndex},
			{Namespace: again.Namespace, ID: again.ID, JobModifyIndex: storedAgain.JobModifyIndex - 1},
		},
		Evals:  []string{ev.ID, open.ID, "no-such-eval"},
		Allocs: []string{a0.ID, a1.ID, live.ID, "no-such-alloc"},
	})
	apply(t, f, 9, GCNodesRequestType, &GCNodesRequest{NodeIDs: []string{n1.ID, n2.ID, "no-such-node"}})

	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	dst := newFSM(t)
	must(t, dst.Restore(readCloser{bytes.NewReader(sink.Bytes())}))

	for name, s := range map[string]*state.StateStore{"applied": f.State(), "restored": dst.State()} {
		t.Run(name, func(t *testing.T) {
			if j, _ := s.JobByID(nil, done.Namespace, done.ID); j != nil {
				t.Error("the finished job is still stored")
			}
			if j, _ := s.JobByID(nil, again.Namespace, again.ID); j == nil {
				t.Error("the job whose JobModifyIndex changed was deleted")
			}
			for id, want := range map[string]bool{a0.ID: false, a1.ID: false, live.ID: true} {
				if a, _ := s.AllocByID(nil, id); (a != nil) != want {
					t.Errorf("alloc %s stored = %v, want %v", id, a != nil, want)
				}
			}
			for id, want := range map[string]bool{ev.ID: false, open.ID: true} {
				if e, _ := s.EvalByID(nil, id); (e != nil) != want {
					t.Errorf("eval %s stored = %v, want %v", id, e != nil, want)
				}
			}
			for id, want := range map[string]bool{n1.ID: true, n2.ID: false} {
				if n, _ := s.NodeByID(nil, id); (n != nil) != want {
					t.Errorf("node %s stored = %v, want %v", id, n != nil, want)
				}
			}
			if sum, _ := s.JobSummaryByID(nil, done.Namespace, done.ID); sum != nil {
				t.Error("the finished job's summary is still stored")
			}
		})
	}
}
