package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// randomState builds a store through the write API from a seeded source:
// jobs with several versions, evals, allocs in every state, client updates,
// plan results, nodes with drains, deletes and garbage collection.
func randomState(t *testing.T, seed uint64) *StateStore {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	id := func() string {
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	}
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	ts := func() int64 { return int64(r.Uint32()) * 1000 }
	s := newStore(t)
	index := uint64(1)
	next := func() uint64 { index += 1 + uint64(r.IntN(3)); return index }
	must(t, s.UpsertNamespaces(next(), []*nomadlike.Namespace{
		{Name: "prod", Description: "production", Meta: map[string]string{"seed": fmt.Sprint(seed)}},
		{Name: "dev", Quota: "small"},
	}))

	var nodes []*nomadlike.Node
	for i := 0; i < 1+r.IntN(5); i++ {
		n := fixture.Node()
		n.ID, n.SecretID = id(), id()
		n.Name = "node-" + n.ID[:8]
		n.Meta["seed"] = fmt.Sprint(r.IntN(100))
		n.Drivers["exec"].UpdateTime = time.Unix(int64(r.Uint32()), 0).UTC()
		must(t, s.UpsertNode(next(), n))
		nodes = append(nodes, n)
		if r.IntN(3) == 0 {
			d := &nomadlike.DrainStrategy{Deadline: time.Duration(r.IntN(100)) * time.Second,
				ForceDeadline: time.Unix(int64(r.Uint32()), 0).UTC()}
			must(t, s.UpdateNodeDrain(next(), n.ID, d, false))
		}
		if r.IntN(4) == 0 {
			must(t, s.UpdateNodeStatus(next(), n.ID, nomadlike.NodeStatusDown, ts()))
		}
	}

	var allocs []*nomadlike.Allocation
	for i := 0; i < 1+r.IntN(6); i++ {
		job := fixture.Job()
		job.ID = "job-" + id()[:8]
		job.Name = job.ID
		job.Namespace = pick("default", "default", "prod")
		job.SubmitTime = ts()
		job.TaskGroups[0].Tasks[0].Config["n"] = float64(r.IntN(1000))
		job.TaskGroups[0].Tasks[0].Config["nested"] = map[string]any{"list": []any{"a", float64(r.IntN(9))}}
		if r.IntN(4) == 0 {
			job.Type = nomadlike.JobTypeBatch
			job.Periodic = &nomadlike.PeriodicConfig{Enabled: true, Spec: "*/5 * * * *"}
		}
		must(t, s.UpsertJob(next(), job))
		for v := 0; v < r.IntN(9); v++ {
			job = job.Copy()
			job.TaskGroups[0].Count = 1 + r.IntN(5)
			job.Meta["v"] = fmt.Sprint(v)
			must(t, s.UpsertJob(next(), job))
		}
		stored, err := s.JobByID(nil, job.Namespace, job.ID)
		must(t, err)
		if stored.IsPeriodic() {
			at := time.Unix(int64(r.Uint32()), 0).UTC()
			child := stored.PeriodicChild(at)
			ce := fixture.Eval(child)
			ce.ID = id()
			must(t, s.UpsertPeriodicLaunch(next(), &nomadlike.PeriodicLaunch{ID: stored.ID, Namespace: stored.Namespace, Launch: at},
				child, []*nomadlike.Evaluation{ce}))
		}

		eval := fixture.Eval(stored)
		eval.ID = id()
		eval.CreateTime = ts()
		eval.WaitUntil = time.Unix(int64(r.Uint32()), 0).UTC()
		if r.IntN(2) == 0 {
			eval.QueuedAllocations = map[string]int{stored.TaskGroups[0].Name: r.IntN(4)}
		}
		must(t, s.UpsertEvals(next(), []*nomadlike.Evaluation{eval}))

		var placed []*nomadlike.Allocation
		for k := 0; k < r.IntN(4); k++ {
			a := fixture.Alloc(stored, nodes[r.IntN(len(nodes))], k)
			a.ID, a.EvalID = id(), eval.ID
			a.Job = nil
			a.ClientStatus = ""
			a.CreateTime = ts()
			placed = append(placed, a)
		}
		followup := fixture.Eval(stored)
		followup.ID = id()
		followup.Status = pick(nomadlike.EvalStatusBlocked, nomadlike.EvalStatusPending)
		must(t, s.UpsertPlanResults(next(), &ApplyPlanResultsRequest{
			Job: stored, AllocsUpdated: placed, EvalID: eval.ID, Evals: []*nomadlike.Evaluation{followup}}))
		allocs = append(allocs, placed...)

		done := eval.Copy()
		done.Status = pick(nomadlike.EvalStatusComplete, nomadlike.EvalStatusFailed)
		done.FailedTGAllocs = map[string]*nomadlike.AllocMetric{"web": {NodesEvaluated: r.IntN(5),
			ConstraintFiltered: map[string]int{"missing driver": r.IntN(3)}}}
		must(t, s.UpsertEvals(next(), []*nomadlike.Evaluation{done}))
	}

	for _, a := range allocs {
		switch r.IntN(4) {
		case 0:
			must(t, s.UpdateAllocsFromClient(next(), []*nomadlike.Allocation{{ID: a.ID,
				ClientStatus: pick(nomadlike.AllocClientStatusRunning, nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed),
				TaskStates: map[string]*nomadlike.TaskState{"app": {State: nomadlike.TaskStateDead, FinishedAt: nomadlike.Time{Time: time.Unix(0, ts()).UTC()},
					Events: []*nomadlike.TaskEvent{{Type: nomadlike.TaskEventTerminated, Time: ts(), Details: map[string]string{"exit_code": "1"}}}}},
				ModifyTime: ts()}}))
		case 1:
			must(t, s.UpsertPlanResults(next(), &ApplyPlanResultsRequest{AllocsStopped: []*nomadlike.Allocation{{
				ID: a.ID, DesiredStatus: nomadlike.AllocDesiredStatusStop, DesiredDescription: "random stop",
				ClientStatus: pick("", nomadlike.AllocClientStatusLost), ModifyTime: ts()}}}))
		case 2:
			must(t, s.DeleteEvals(next(), nil, []string{a.ID}))
		}
	}
	if jobs, _ := s.Jobs(nil, AllNamespaces, ""); len(jobs) > 1 && r.IntN(2) == 0 {
		j := jobs[r.IntN(len(jobs))]
		must(t, s.DeleteJob(next(), j.Namespace, j.ID))
	}
	if r.IntN(3) == 0 {
		must(t, s.DeleteNode(next(), []string{nodes[0].ID}))
	}
	return s
}

// tables returns every object of every table, index table included.
func tables(t *testing.T, s *StateStore) map[string][]any {
	t.Helper()
	txn := s.db.Txn(false)
	out := map[string][]any{}
	for _, table := range append(dataTables, TableIndex) {
		it, err := txn.Get(table, indexID)
		must(t, err)
		for raw := it.Next(); raw != nil; raw = it.Next() {
			out[table] = append(out[table], raw)
		}
	}
	return out
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			s := randomState(t, seed)
			var buf bytes.Buffer
			n, err := s.WriteTo(&buf)
			must(t, err)
			if n != int64(buf.Len()) {
				t.Errorf("WriteTo returned %d bytes, wrote %d", n, buf.Len())
			}
			restored, err := RestoreFrom(bytes.NewReader(buf.Bytes()))
			must(t, err)
			want, got := tables(t, s), tables(t, restored)
			for table := range want {
				if !reflect.DeepEqual(got[table], want[table]) {
					t.Errorf("table %q differs after restore: %d objects, want %d", table, len(got[table]), len(want[table]))
				}
			}
			if len(got) != len(want) {
				t.Errorf("restored %d tables, want %d", len(got), len(want))
			}
			for _, tbl := range dataTables {
				a, _ := s.Index(tbl)
				b, _ := restored.Index(tbl)
				if a != b {
					t.Errorf("Index(%s) = %d after restore, want %d", tbl, b, a)
				}
			}
			// A second dump is byte-identical: nothing was lost or reordered.
			var again bytes.Buffer
			_, err = restored.WriteTo(&again)
			must(t, err)
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Error("dump of the restored store differs from the original dump")
			}
		})
	}
}

func TestRestoreRejectsBadInput(t *testing.T) {
	cases := []struct {
		name, input string
	}{
		{"empty", ""},
		{"not json", "hello\n"},
		{"wrong format", `{"Format":"other","Version":1}` + "\n"},
		{"wrong version", `{"Format":"nomadlike-state","Version":99}` + "\n"},
		{"unknown table", `{"Format":"nomadlike-state","Version":1}` + "\n" + `{"Table":"nope","Object":{}}` + "\n"},
		{"bad object", `{"Format":"nomadlike-state","Version":1}` + "\n" + `{"Table":"jobs","Object":{"Version":"x"}}` + "\n"},
		{"truncated", `{"Format":"nomadlike-state","Version":1}` + "\n" + `{"Table":"jobs","Obj`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RestoreFrom(strings.NewReader(tc.input))
			if !errors.Is(err, ErrCorruptSnapshot) {
				t.Errorf("RestoreFrom(%q) = %v, want ErrCorruptSnapshot", tc.input, err)
			}
		})
	}
}
