package fsm

import (
	"bytes"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestServiceRegistrationMessageTypes: the catalog's types keep their
// explicit numbers and names (they are stored in raft logs).
func TestServiceRegistrationMessageTypes(t *testing.T) {
	cases := []struct {
		typ  MessageType
		num  uint8
		name string
	}{
		{ServiceRegistrationUpsertRequestType, 80, "ServiceRegistrationUpsert"},
		{ServiceRegistrationDeleteByIDRequestType, 81, "ServiceRegistrationDeleteByID"},
		{ServiceRegistrationDeleteByAllocsRequestType, 82, "ServiceRegistrationDeleteByAllocs"},
		{ServiceRegistrationDeleteByNodeRequestType, 83, "ServiceRegistrationDeleteByNode"},
		{ServiceRegistrationDeleteByIDsRequestType, 84, "ServiceRegistrationDeleteByIDs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if uint8(tc.typ) != tc.num || tc.typ.String() != tc.name || handlers[tc.typ] == nil {
				t.Errorf("type %d = %q (handler %v), want %d %q", tc.typ, tc.typ, handlers[tc.typ] != nil, tc.num, tc.name)
			}
		})
	}
}

// TestServiceRegistrationApplyAndSnapshot: registrations applied through
// the FSM survive a snapshot and restore (a new leader sees them); the
// delete types remove what they name.
func TestServiceRegistrationApplyAndSnapshot(t *testing.T) {
	f := newFSM(t)
	node := fixture.Node()
	apply(t, f, 1, NodeRegisterRequestType, &NodeRegisterRequest{Node: node})
	job := fixture.Job()
	apply(t, f, 2, JobRegisterRequestType, &JobRegisterRequest{Job: job})
	var allocs []*nomadlike.Allocation
	var regs []*nomadlike.ServiceRegistration
	for i := range 4 {
		a := fixture.Alloc(job, node, i)
		allocs = append(allocs, a)
		regs = append(regs, &nomadlike.ServiceRegistration{ID: "r" + string(rune('0'+i)), ServiceName: "web", Namespace: a.Namespace,
			NodeID: node.ID, JobID: job.ID, AllocID: a.ID, Address: "10.0.0.1", Port: 8000 + i})
	}
	apply(t, f, 3, AllocUpdateRequestType, &AllocUpdateRequest{Allocs: allocs, Job: job})
	apply(t, f, 4, ServiceRegistrationUpsertRequestType, &ServiceRegistrationUpsertRequest{Services: regs})
	apply(t, f, 5, ServiceRegistrationDeleteByIDRequestType, &ServiceRegistrationDeleteByIDRequest{Namespace: "default", ID: "r0"})
	apply(t, f, 6, ServiceRegistrationDeleteByIDsRequestType, &ServiceRegistrationDeleteByIDsRequest{IDs: []string{"r1", "unknown"}})
	apply(t, f, 7, ServiceRegistrationDeleteByAllocsRequestType, &ServiceRegistrationDeleteByAllocsRequest{AllocIDs: []string{allocs[2].ID}})

	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	dst := newFSM(t)
	must(t, dst.Restore(readCloser{bytes.NewReader(sink.Bytes())}))
	got, err := dst.State().ServiceRegistrationsByName(nil, "default", "web")
	must(t, err)
	if len(got) != 1 || got[0].ID != "r3" || got[0].Port != 8003 || got[0].CreateIndex != 4 {
		t.Fatalf("restored = %+v, want only r3", got)
	}
	apply(t, dst, 8, ServiceRegistrationDeleteByNodeRequestType, &ServiceRegistrationDeleteByNodeRequest{NodeID: node.ID})
	if got, _ := dst.State().ServiceRegistrationsByName(nil, "default", "web"); len(got) != 0 {
		t.Errorf("after delete by node: %d left", len(got))
	}
}
