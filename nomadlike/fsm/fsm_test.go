package fsm

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

var appendedAt = time.Unix(1_700_000_000, 0).UTC()

func newFSM(t *testing.T) *FSM {
	t.Helper()
	s, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	return New(s, nil)
}

func logEntry(t *testing.T, index uint64, typ MessageType, req any) *raft.Log {
	t.Helper()
	data, err := Encode(typ, req)
	if err != nil {
		t.Fatalf("Encode(%s) error = %v", typ, err)
	}
	return &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data, AppendedAt: appendedAt}
}

// apply applies req at index and fails the test on an error response.
func apply(t *testing.T, f *FSM, index uint64, typ MessageType, req any) {
	t.Helper()
	if resp := f.Apply(logEntry(t, index, typ, req)); resp != nil {
		t.Fatalf("Apply(%s at %d) = %v, want nil", typ, index, resp)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is a registered node, a job with a pending eval, and one running
// alloc of the job on the node, applied at indexes 1 to 4.
type world struct {
	node  *nomadlike.Node
	job   *nomadlike.Job
	eval  *nomadlike.Evaluation
	alloc *nomadlike.Allocation
}

func setup(t *testing.T, f *FSM) *world {
	t.Helper()
	w := &world{node: fixture.Node(), job: fixture.Job()}
	w.eval = fixture.Eval(w.job)
	apply(t, f, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: w.node})
	apply(t, f, 2, JobRegisterRequestType, &JobRegisterRequest{Job: w.job, Eval: w.eval})
	w.alloc = fixture.Alloc(w.job, w.node, 0)
	w.alloc.Job = nil
	w.alloc.EvalID = w.eval.ID
	w.alloc.ClientStatus = nomadlike.AllocClientStatusPending
	apply(t, f, 3, ApplyPlanResultsRequestType, &ApplyPlanResultsRequest{Job: w.job, AllocsUpdated: []*nomadlike.Allocation{w.alloc}, EvalID: w.eval.ID})
	apply(t, f, 4, AllocClientUpdateRequestType, &AllocClientUpdateRequest{Allocs: []*nomadlike.Allocation{{ID: w.alloc.ID, ClientStatus: nomadlike.AllocClientStatusRunning}}})
	return w
}

func TestApplyMessageTypes(t *testing.T) {
	const idx = 10
	cases := []struct {
		name  string
		typ   MessageType
		req   func(w *world) any
		check func(t *testing.T, s *state.StateStore, w *world)
	}{
		{"job register new version", JobRegisterRequestType, func(w *world) any {
			j := w.job.Copy()
			j.TaskGroups[0].Count = 7
			return &JobRegisterRequest{Job: j, Eval: fixture.Eval(j)}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			j, _ := s.JobByID(nil, w.job.Namespace, w.job.ID)
			if j.Version != 1 || j.JobModifyIndex != idx || j.TaskGroups[0].Count != 7 {
				t.Errorf("job = version %d jmi %d count %d, want 1, %d, 7", j.Version, j.JobModifyIndex, j.TaskGroups[0].Count, idx)
			}
			evals, _ := s.EvalsByJob(nil, w.job.Namespace, w.job.ID)
			var found bool
			for _, e := range evals {
				if e.CreateIndex == idx {
					found = e.JobModifyIndex == idx && e.CreateTime == appendedAt.UnixNano()
				}
			}
			if !found {
				t.Errorf("register eval missing or without JobModifyIndex/CreateTime: %+v", evals)
			}
		}},
		{"job deregister stops", JobDeregisterRequestType, func(w *world) any {
			return &JobDeregisterRequest{Namespace: w.job.Namespace, JobID: w.job.ID, Eval: fixture.Eval(w.job)}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			j, _ := s.JobByID(nil, w.job.Namespace, w.job.ID)
			if j == nil || !j.Stop || j.Version != 1 || j.Status != nomadlike.JobStatusDead {
				t.Errorf("stopped job = %+v, want Stop at version 1, dead", j)
			}
		}},
		{"job deregister purges", JobDeregisterRequestType, func(w *world) any {
			return &JobDeregisterRequest{Namespace: w.job.Namespace, JobID: w.job.ID, Purge: true}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			if j, _ := s.JobByID(nil, w.job.Namespace, w.job.ID); j != nil {
				t.Errorf("purged job still present")
			}
		}},
		{"eval update", EvalUpdateRequestType, func(w *world) any {
			e := w.eval.Copy()
			e.Status = nomadlike.EvalStatusComplete
			return &EvalUpdateRequest{Evals: []*nomadlike.Evaluation{e}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			e, _ := s.EvalByID(nil, w.eval.ID)
			if e.Status != nomadlike.EvalStatusComplete || e.ModifyIndex != idx || e.CreateIndex != 2 {
				t.Errorf("eval = %q %d/%d, want complete 2/%d", e.Status, e.CreateIndex, e.ModifyIndex, idx)
			}
		}},
		{"eval delete", EvalDeleteRequestType, func(w *world) any {
			return &EvalDeleteRequest{Evals: []string{w.eval.ID}, Allocs: []string{w.alloc.ID}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			if e, _ := s.EvalByID(nil, w.eval.ID); e != nil {
				t.Error("eval still present")
			}
			if a, _ := s.AllocByID(nil, w.alloc.ID); a != nil {
				t.Error("alloc still present")
			}
		}},
		{"alloc update marks lost", AllocUpdateRequestType, func(w *world) any {
			a := w.alloc.Copy()
			a.DesiredStatus = nomadlike.AllocDesiredStatusStop
			a.ClientStatus = nomadlike.AllocClientStatusLost
			return &AllocUpdateRequest{Allocs: []*nomadlike.Allocation{a}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			a, _ := s.AllocByID(nil, w.alloc.ID)
			if a.ClientStatus != nomadlike.AllocClientStatusLost || a.AllocModifyIndex != idx || a.Job == nil {
				t.Errorf("alloc = %q amI %d job %v, want lost at %d with job", a.ClientStatus, a.AllocModifyIndex, a.Job != nil, idx)
			}
		}},
		{"alloc client update", AllocClientUpdateRequestType, func(w *world) any {
			return &AllocClientUpdateRequest{Allocs: []*nomadlike.Allocation{{ID: w.alloc.ID, ClientStatus: nomadlike.AllocClientStatusComplete}}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			a, _ := s.AllocByID(nil, w.alloc.ID)
			if a.ClientStatus != nomadlike.AllocClientStatusComplete || a.ModifyTime != appendedAt.UnixNano() {
				t.Errorf("alloc = %q modify time %d, want complete at %d", a.ClientStatus, a.ModifyTime, appendedAt.UnixNano())
			}
			sum, _ := s.JobSummaryByID(nil, w.job.Namespace, w.job.ID)
			if got := sum.Summary["web"]; got.Complete != 1 || got.Running != 0 {
				t.Errorf("summary = %+v, want 1 complete", got)
			}
		}},
		{"node register", NodeRegisterRequestType, func(w *world) any {
			n := w.node.Copy()
			n.Attributes["new"] = "1"
			return &NodeRegisterRequest{Node: n}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			n, _ := s.NodeByID(nil, w.node.ID)
			if n.Attributes["new"] != "1" || n.CreateIndex != 1 || n.ModifyIndex != idx {
				t.Errorf("node = %+v", n)
			}
		}},
		{"node deregister", NodeDeregisterRequestType, func(w *world) any {
			return &NodeDeregisterRequest{NodeIDs: []string{w.node.ID}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			if n, _ := s.NodeByID(nil, w.node.ID); n != nil {
				t.Error("node still present")
			}
		}},
		{"node status", NodeUpdateStatusRequestType, func(w *world) any {
			return &NodeUpdateStatusRequest{NodeID: w.node.ID, Status: nomadlike.NodeStatusDown, UpdatedAt: 42,
				Evals: []*nomadlike.Evaluation{fixture.Eval(w.job)}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			n, _ := s.NodeByID(nil, w.node.ID)
			if n.Status != nomadlike.NodeStatusDown || n.StatusUpdatedAt != 42 {
				t.Errorf("node = %q %d, want down 42", n.Status, n.StatusUpdatedAt)
			}
			if evals, _ := s.EvalsByJob(nil, w.job.Namespace, w.job.ID); len(evals) != 2 {
				t.Errorf("evals = %d, want 2", len(evals))
			}
		}},
		{"node eligibility", NodeUpdateEligibilityRequestType, func(w *world) any {
			return &NodeUpdateEligibilityRequest{NodeID: w.node.ID, Eligibility: nomadlike.NodeSchedulingIneligible}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			n, _ := s.NodeByID(nil, w.node.ID)
			if n.SchedulingEligibility != nomadlike.NodeSchedulingIneligible {
				t.Errorf("eligibility = %q", n.SchedulingEligibility)
			}
		}},
		{"node drain", NodeUpdateDrainRequestType, func(w *world) any {
			return &NodeUpdateDrainRequest{NodeID: w.node.ID, DrainStrategy: &nomadlike.DrainStrategy{Deadline: time.Hour}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			n, _ := s.NodeByID(nil, w.node.ID)
			if n.DrainStrategy == nil || n.DrainStrategy.Deadline != time.Hour || n.Ready() {
				t.Errorf("node drain = %+v", n.DrainStrategy)
			}
		}},
		{"plan results", ApplyPlanResultsRequestType, func(w *world) any {
			stop := w.alloc.Copy()
			stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
			stop.DesiredDescription = "alloc not needed"
			place := fixture.Alloc(w.job, w.node, 1)
			place.Job = nil
			blocked := fixture.Eval(w.job)
			blocked.Status = nomadlike.EvalStatusBlocked
			return &ApplyPlanResultsRequest{Job: w.job, EvalID: w.eval.ID,
				AllocsStopped: []*nomadlike.Allocation{stop}, AllocsUpdated: []*nomadlike.Allocation{place},
				Evals: []*nomadlike.Evaluation{blocked}}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			allocs, _ := s.AllocsByJob(nil, w.job.Namespace, w.job.ID)
			var stopped, placed int
			for _, a := range allocs {
				switch {
				case a.ID == w.alloc.ID && a.DesiredStatus == nomadlike.AllocDesiredStatusStop &&
					a.ClientStatus == nomadlike.AllocClientStatusRunning:
					stopped++
				case a.CreateIndex == idx && a.Job != nil && a.CreateTime == appendedAt.UnixNano():
					placed++
				}
			}
			if stopped != 1 || placed != 1 {
				t.Errorf("stopped %d placed %d, want 1 and 1", stopped, placed)
			}
		}},
		{"periodic launch", PeriodicLaunchRequestType, func(w *world) any {
			child := w.job.PeriodicChild(appendedAt)
			return &PeriodicLaunchRequest{Launch: &nomadlike.PeriodicLaunch{ID: w.job.ID, Namespace: w.job.Namespace, Launch: appendedAt},
				Job: child, Eval: fixture.Eval(child)}
		}, func(t *testing.T, s *state.StateStore, w *world) {
			child, _ := s.JobByID(nil, w.job.Namespace, nomadlike.PeriodicChildID(w.job.ID, appendedAt))
			if child == nil || child.ParentID != w.job.ID || child.CreateIndex != idx {
				t.Fatalf("child = %+v, want one created at %d", child, idx)
			}
			evals, _ := s.EvalsByJob(nil, child.Namespace, child.ID)
			if len(evals) != 1 || evals[0].JobModifyIndex != idx || evals[0].CreateTime != appendedAt.UnixNano() {
				t.Errorf("child evals = %+v, want one at %d stamped %d", evals, idx, appendedAt.UnixNano())
			}
			rec, _ := s.PeriodicLaunchByID(nil, w.job.Namespace, w.job.ID)
			if rec == nil || !rec.Launch.Equal(appendedAt) {
				t.Errorf("launch record = %+v", rec)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFSM(t)
			w := setup(t, f)
			apply(t, f, idx, tc.typ, tc.req(w))
			tc.check(t, f.State(), w)
			if got, _ := f.State().LatestIndex(); got != idx {
				t.Errorf("LatestIndex() = %d, want %d", got, idx)
			}
		})
	}
}

func TestApplyErrorIsResponse(t *testing.T) {
	cases := []struct {
		name string
		typ  MessageType
		req  any
		want error
	}{
		{"stop missing job", JobDeregisterRequestType, &JobDeregisterRequest{Namespace: "default", JobID: "nope"}, nomadlike.ErrJobNotFound},
		{"purge missing job", JobDeregisterRequestType, &JobDeregisterRequest{Namespace: "default", JobID: "nope", Purge: true}, nomadlike.ErrJobNotFound},
		{"status of missing node", NodeUpdateStatusRequestType, &NodeUpdateStatusRequest{NodeID: "nope", Status: "down"}, nomadlike.ErrNotFound},
		{"eval without ID", EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*nomadlike.Evaluation{{}}}, nomadlike.ErrValidation},
		{"launch without job ID", PeriodicLaunchRequestType, &PeriodicLaunchRequest{Launch: &nomadlike.PeriodicLaunch{Namespace: "default"}}, nomadlike.ErrValidation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFSM(t)
			resp := f.Apply(logEntry(t, 5, tc.typ, tc.req))
			err, ok := resp.(error)
			if !ok || !errors.Is(err, tc.want) {
				t.Errorf("Apply response = %v, want error wrapping %v", resp, tc.want)
			}
		})
	}
}

func TestApplyPanicsOnUndecodableEntry(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown type", []byte{200, '{', '}'}},
		{"bad json", append([]byte{byte(JobRegisterRequestType)}, "{not json"...)},
		{"wrong shape", append([]byte{byte(NodeRegisterRequestType)}, `{"Node":"a string"}`...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFSM(t)
			defer func() {
				if recover() == nil {
					t.Error("Apply did not panic")
				}
			}()
			f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: tc.data})
		})
	}
}

func TestApplyIgnoresNonCommandEntries(t *testing.T) {
	f := newFSM(t)
	if resp := f.Apply(&raft.Log{Index: 1, Type: raft.LogNoop}); resp != nil {
		t.Errorf("Apply(noop) = %v, want nil", resp)
	}
}

func TestEvalHook(t *testing.T) {
	f := newFSM(t)
	var got [][]*nomadlike.Evaluation
	f.SetEvalHook(func(evals []*nomadlike.Evaluation) { got = append(got, evals) })
	w := setup(t, f)
	if len(got) != 1 || len(got[0]) != 1 {
		t.Fatalf("hook calls after setup = %v, want one call with the register eval", got)
	}
	e := got[0][0]
	if e.ID != w.eval.ID || e.CreateIndex != 2 || e.ModifyIndex != 2 || e.JobModifyIndex != 2 {
		t.Errorf("hook eval = %s %d/%d jmi %d, want %s stored at 2", e.ID, e.CreateIndex, e.ModifyIndex, e.JobModifyIndex, w.eval.ID)
	}
	stored, _ := f.State().EvalByID(nil, w.eval.ID)
	if e != stored {
		t.Error("hook eval is not the stored object")
	}
	apply(t, f, 5, NodeUpdateEligibilityRequestType, &NodeUpdateEligibilityRequest{NodeID: w.node.ID, Eligibility: nomadlike.NodeSchedulingIneligible})
	if len(got) != 1 {
		t.Errorf("hook called for an entry without evals")
	}
	f.SetEvalHook(nil)
	apply(t, f, 6, EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*nomadlike.Evaluation{fixture.Eval(w.job)}})
	if len(got) != 1 {
		t.Errorf("cleared hook still called")
	}
}

// bufferSink is a raft.SnapshotSink over a buffer.
type bufferSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (b *bufferSink) ID() string    { return "buffer" }
func (b *bufferSink) Close() error  { b.closed = true; return nil }
func (b *bufferSink) Cancel() error { b.cancelled = true; return nil }

func TestSnapshotRestore(t *testing.T) {
	src := newFSM(t)
	w := setup(t, src)
	snap, err := src.Snapshot()
	must(t, err)
	// Writes after Snapshot must not reach the persisted snapshot.
	apply(t, src, 5, NodeDeregisterRequestType, &NodeDeregisterRequest{NodeIDs: []string{w.node.ID}})
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	snap.Release()
	if !sink.closed || sink.cancelled {
		t.Fatalf("sink closed %v cancelled %v, want closed", sink.closed, sink.cancelled)
	}

	dst := newFSM(t)
	old := dst.State()
	must(t, dst.Restore(readCloser{bytes.NewReader(sink.Bytes())}))
	select {
	case <-old.AbandonCh():
	default:
		t.Error("old store not abandoned after Restore")
	}
	if dst.State() == old {
		t.Fatal("State() still returns the old store")
	}
	if n, _ := dst.State().NodeByID(nil, w.node.ID); n == nil {
		t.Error("restored state lacks the node deleted after the snapshot was taken")
	}
	if idx, _ := dst.State().LatestIndex(); idx != 4 {
		t.Errorf("restored LatestIndex() = %d, want 4", idx)
	}
	// The restored store dumps to exactly the snapshot.
	var again bytes.Buffer
	_, err = dst.State().WriteTo(&again)
	must(t, err)
	if !bytes.Equal(again.Bytes(), sink.Bytes()) {
		t.Error("restored state differs from the snapshot")
	}
	// And keeps applying entries.
	apply(t, dst, 5, AllocClientUpdateRequestType, &AllocClientUpdateRequest{Allocs: []*nomadlike.Allocation{{ID: w.alloc.ID, ClientStatus: nomadlike.AllocClientStatusComplete}}})
	if a, _ := dst.State().AllocByID(nil, w.alloc.ID); a.ClientStatus != nomadlike.AllocClientStatusComplete {
		t.Errorf("alloc after restore+apply = %q, want complete", a.ClientStatus)
	}
}

func TestRestoreRejectsGarbage(t *testing.T) {
	f := newFSM(t)
	old := f.State()
	err := f.Restore(readCloser{bytes.NewReader([]byte("garbage"))})
	if !errors.Is(err, state.ErrCorruptSnapshot) {
		t.Errorf("Restore(garbage) = %v, want ErrCorruptSnapshot", err)
	}
	if f.State() != old {
		t.Error("failed Restore replaced the store")
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestAllocUpdateAcceptsPlanResultBody(t *testing.T) {
	f := newFSM(t)
	w := setup(t, f)
	stop := w.alloc.Copy()
	stop.DesiredStatus = nomadlike.AllocDesiredStatusStop
	place := fixture.Alloc(w.job, w.node, 1)
	place.Job = nil
	// A plan result sent under AllocUpdateRequestType must not lose fields.
	apply(t, f, 5, AllocUpdateRequestType, &ApplyPlanResultsRequest{Job: w.job, EvalID: w.eval.ID,
		AllocsStopped: []*nomadlike.Allocation{stop}, AllocsUpdated: []*nomadlike.Allocation{place}})
	if a, _ := f.State().AllocByID(nil, w.alloc.ID); a.DesiredStatus != nomadlike.AllocDesiredStatusStop {
		t.Errorf("stopped alloc desired status = %q, want stop", a.DesiredStatus)
	}
	if a, _ := f.State().AllocByID(nil, place.ID); a == nil || a.Job == nil {
		t.Errorf("placed alloc = %v, want stored with its job", a)
	}
}
