package state

import (
	"errors"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func TestUpsertEvals(t *testing.T) {
	s := newStore(t)
	job := storeJob(t, s, 10, fixture.Job())
	e := evalFor(job, nomadlike.EvalStatusPending)
	e.ModifyTime = 100
	must(t, s.UpsertEvals(11, []*nomadlike.Evaluation{e}))
	upd := e.Copy()
	upd.Status = nomadlike.EvalStatusComplete
	upd.CreateTime, upd.ModifyTime = 0, 200
	must(t, s.UpsertEvals(12, []*nomadlike.Evaluation{upd}))
	got, err := s.EvalByID(nil, e.ID)
	must(t, err)
	want := struct{ create, modify uint64 }{11, 12}
	if got.CreateIndex != want.create || got.ModifyIndex != want.modify || got.CreateTime != 100 || got.ModifyTime != 200 {
		t.Errorf("eval = indexes %d/%d times %d/%d, want 11/12 100/200", got.CreateIndex, got.ModifyIndex, got.CreateTime, got.ModifyTime)
	}
	if got.Status != nomadlike.EvalStatusComplete {
		t.Errorf("eval status = %q, want complete", got.Status)
	}
	byJob, err := s.EvalsByJob(nil, job.Namespace, job.ID)
	must(t, err)
	if len(byJob) != 1 || byJob[0].ID != e.ID {
		t.Errorf("EvalsByJob = %v, want [%s]", byJob, e.ID)
	}
	if idx, _ := s.Index(TableEvals); idx != 12 {
		t.Errorf("Index(evals) = %d, want 12", idx)
	}
	err = s.UpsertEvals(13, []*nomadlike.Evaluation{{}})
	if !errors.Is(err, nomadlike.ErrValidation) {
		t.Errorf("UpsertEvals(no ID) = %v, want ErrValidation", err)
	}
}

func TestDeleteEvals(t *testing.T) {
	s := newStore(t)
	node := fixture.Node()
	job := storeJob(t, s, 10, fixture.Job())
	e := evalFor(job, nomadlike.EvalStatusPending)
	must(t, s.UpsertEvals(11, []*nomadlike.Evaluation{e}))
	a := allocFor(job, node, 0, nomadlike.AllocClientStatusRunning)
	a.EvalID = e.ID
	must(t, s.UpsertAllocs(12, []*nomadlike.Allocation{a}))
	must(t, s.DeleteEvals(13, []string{e.ID, "missing"}, []string{a.ID, "missing"}))
	if got, _ := s.EvalByID(nil, e.ID); got != nil {
		t.Error("eval still present after DeleteEvals")
	}
	if got, _ := s.AllocByID(nil, a.ID); got != nil {
		t.Error("alloc still present after DeleteEvals")
	}
	j, _ := s.JobByID(nil, job.Namespace, job.ID)
	if j.Status != nomadlike.JobStatusPending {
		t.Errorf("job status after GC of everything = %q, want pending", j.Status)
	}
	for _, table := range []string{TableEvals, TableAllocs} {
		if idx, _ := s.Index(table); idx != 13 {
			t.Errorf("Index(%s) = %d, want 13", table, idx)
		}
	}
}

func TestNodes(t *testing.T) {
	drain := &nomadlike.DrainStrategy{Deadline: time.Minute}
	cases := []struct {
		name    string
		op      func(s *StateStore, n *nomadlike.Node) error
		check   func(n *nomadlike.Node) bool
		wantErr error
	}{
		{"status", func(s *StateStore, n *nomadlike.Node) error {
			return s.UpdateNodeStatus(20, n.ID, nomadlike.NodeStatusDown, 777)
		}, func(n *nomadlike.Node) bool { return n.Status == nomadlike.NodeStatusDown && n.StatusUpdatedAt == 777 }, nil},
		{"ineligible", func(s *StateStore, n *nomadlike.Node) error {
			return s.UpdateNodeEligibility(20, n.ID, nomadlike.NodeSchedulingIneligible)
		}, func(n *nomadlike.Node) bool { return n.SchedulingEligibility == nomadlike.NodeSchedulingIneligible }, nil},
		{"bad eligibility", func(s *StateStore, n *nomadlike.Node) error {
			return s.UpdateNodeEligibility(20, n.ID, "maybe")
		}, nil, nomadlike.ErrValidation},
		{"drain makes ineligible", func(s *StateStore, n *nomadlike.Node) error {
			return s.UpdateNodeDrain(20, n.ID, drain, false)
		}, func(n *nomadlike.Node) bool {
			return n.Drain && n.DrainStrategy.Deadline == time.Minute && n.SchedulingEligibility == nomadlike.NodeSchedulingIneligible
		}, nil},
		{"eligible while draining conflicts", func(s *StateStore, n *nomadlike.Node) error {
			must(t, s.UpdateNodeDrain(19, n.ID, drain, false))
			return s.UpdateNodeEligibility(20, n.ID, nomadlike.NodeSchedulingEligible)
		}, nil, nomadlike.ErrConflict},
		{"end drain mark eligible", func(s *StateStore, n *nomadlike.Node) error {
			must(t, s.UpdateNodeDrain(19, n.ID, drain, false))
			return s.UpdateNodeDrain(20, n.ID, nil, true)
		}, func(n *nomadlike.Node) bool {
			return !n.Drain && n.DrainStrategy == nil && n.SchedulingEligibility == nomadlike.NodeSchedulingEligible
		}, nil},
		{"re-register keeps drain", func(s *StateStore, n *nomadlike.Node) error {
			must(t, s.UpdateNodeDrain(19, n.ID, drain, false))
			again := n.Copy()
			again.Attributes["new"] = "attr"
			return s.UpsertNode(20, again)
		}, func(n *nomadlike.Node) bool {
			return n.Drain && n.SchedulingEligibility == nomadlike.NodeSchedulingIneligible && n.Attributes["new"] == "attr" && n.CreateIndex == 10
		}, nil},
		{"missing node", func(s *StateStore, n *nomadlike.Node) error {
			return s.UpdateNodeStatus(20, "nope", nomadlike.NodeStatusDown, 1)
		}, nil, nomadlike.ErrNotFound},
		{"delete missing", func(s *StateStore, n *nomadlike.Node) error {
			return s.DeleteNode(20, []string{n.ID, "nope"})
		}, nil, nomadlike.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			n := fixture.Node()
			must(t, s.UpsertNode(10, n))
			err := tc.op(s, n)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				if got, _ := s.NodeByID(nil, n.ID); got == nil || got.ModifyIndex >= 20 {
					t.Errorf("failed write changed the node: %+v", got)
				}
				return
			}
			must(t, err)
			got, err := s.NodeByID(nil, n.ID)
			must(t, err)
			if !tc.check(got) {
				t.Errorf("node after op = %+v", got)
			}
			if got.ModifyIndex != 20 {
				t.Errorf("ModifyIndex = %d, want 20", got.ModifyIndex)
			}
			if idx, _ := s.Index(TableNodes); idx != 20 {
				t.Errorf("Index(nodes) = %d, want 20", idx)
			}
		})
	}
}

func TestNodeLookups(t *testing.T) {
	s := newStore(t)
	n := fixture.Node()
	n.SchedulingEligibility = ""
	must(t, s.UpsertNode(5, n))
	got, err := s.NodeBySecretID(nil, n.SecretID)
	must(t, err)
	if got == nil || got.ID != n.ID {
		t.Fatalf("NodeBySecretID = %v, want %s", got, n.ID)
	}
	if got.SchedulingEligibility != nomadlike.NodeSchedulingEligible {
		t.Errorf("new node eligibility = %q, want eligible", got.SchedulingEligibility)
	}
	if x, _ := s.NodeBySecretID(nil, ""); x != nil {
		t.Error("NodeBySecretID(\"\") found a node")
	}
	nodes, err := s.Nodes(nil, n.ID[:4])
	must(t, err)
	if len(nodes) != 1 {
		t.Errorf("Nodes(prefix) = %d nodes, want 1", len(nodes))
	}
	must(t, s.DeleteNode(6, []string{n.ID}))
	if x, _ := s.NodeByID(nil, n.ID); x != nil {
		t.Error("node present after DeleteNode")
	}
}

// TestNodeStatusUpdatedAtSeconds: StatusUpdatedAt is unix seconds, as
// Nomad's; raft entries written before, with unix nanoseconds, are stored
// as seconds too.
func TestNodeStatusUpdatedAtSeconds(t *testing.T) {
	const secs = int64(1_780_000_000)
	cases := []struct {
		name string
		in   int64
	}{
		{"seconds", secs},
		{"nanoseconds from an old entry", secs*1_000_000_000 + 123},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			n := fixture.Node()
			n.StatusUpdatedAt = tc.in
			if err := s.UpsertNode(1, n); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateNodeStatus(2, n.ID, nomadlike.NodeStatusDown, tc.in); err != nil {
				t.Fatal(err)
			}
			got, err := s.NodeByID(nil, n.ID)
			if err != nil || got.StatusUpdatedAt != secs {
				t.Fatalf("StatusUpdatedAt = %d, %v; want %d", got.StatusUpdatedAt, err, secs)
			}
		})
	}
}
