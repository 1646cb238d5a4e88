package fsm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestNamespaceMessageTypes: the namespace types keep their explicit
// numbers and names (they are stored in raft logs).
func TestNamespaceMessageTypes(t *testing.T) {
	cases := []struct {
		typ  MessageType
		num  uint8
		name string
	}{
		{NamespaceUpsertRequestType, 30, "NamespaceUpsert"},
		{NamespaceDeleteRequestType, 31, "NamespaceDelete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if uint8(tc.typ) != tc.num || tc.typ.String() != tc.name || handlers[tc.typ] == nil {
				t.Errorf("type %d = %q (handler %v), want %d %q", tc.typ, tc.typ, handlers[tc.typ] != nil, tc.num, tc.name)
			}
		})
	}
}

// TestNamespaceApplyAndSnapshot: namespaces applied through the FSM are
// in its snapshot and come back on restore; a delete of a namespace with a
// running job and a register in an unknown namespace are error responses
// that change nothing.
func TestNamespaceApplyAndSnapshot(t *testing.T) {
	f := newFSM(t)
	apply(t, f, 1, NamespaceUpsertRequestType, &NamespaceUpsertRequest{Namespaces: []*nomadlike.Namespace{
		{Name: "team-a", Description: "A", Meta: map[string]string{"owner": "a"}}, {Name: "team-b"}}})
	job := fixture.Job()
	job.Namespace = "team-a"
	apply(t, f, 2, JobRegisterRequestType, &JobRegisterRequest{Job: job})

	orphan := fixture.Job()
	orphan.Namespace = "team-c"
	resp := f.Apply(logEntry(t, 3, JobRegisterRequestType, &JobRegisterRequest{Job: orphan}))
	if err, _ := resp.(error); !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("register in unknown namespace = %v, want a validation error", resp)
	}
	resp = f.Apply(logEntry(t, 4, NamespaceDeleteRequestType, &NamespaceDeleteRequest{Names: []string{"team-a"}}))
	if err, _ := resp.(error); !errors.Is(err, nomadlike.ErrConflict) {
		t.Fatalf("delete of a namespace with a job = %v, want a conflict", resp)
	}
	apply(t, f, 5, NamespaceDeleteRequestType, &NamespaceDeleteRequest{Names: []string{"team-b"}})

	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	dst := newFSM(t)
	must(t, dst.Restore(readCloser{bytes.NewReader(sink.Bytes())}))
	a, err := dst.State().NamespaceByName(nil, "team-a")
	must(t, err)
	if a == nil || a.Description != "A" || a.Meta["owner"] != "a" || a.CreateIndex != 1 {
		t.Errorf("restored team-a = %+v", a)
	}
	if b, _ := dst.State().NamespaceByName(nil, "team-b"); b != nil {
		t.Errorf("restored state has the deleted team-b")
	}
	if j, _ := dst.State().JobByID(nil, "team-a", job.ID); j == nil {
		t.Error("restored state lacks team-a's job")
	}
	if j, _ := dst.State().JobByID(nil, "team-c", orphan.ID); j != nil {
		t.Error("the refused job was stored")
	}
}
