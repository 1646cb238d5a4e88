package fsm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestACLMessageTypeNumbers(t *testing.T) {
	for _, tc := range []struct {
		typ  MessageType
		num  uint8
		name string
	}{
		{ACLPolicyUpsertRequestType, 20, "ACLPolicyUpsert"},
		{ACLPolicyDeleteRequestType, 21, "ACLPolicyDelete"},
		{ACLTokenUpsertRequestType, 22, "ACLTokenUpsert"},
		{ACLTokenDeleteRequestType, 23, "ACLTokenDelete"},
		{ACLBootstrapRequestType, 24, "ACLBootstrap"},
	} {
		if uint8(tc.typ) != tc.num || tc.typ.String() != tc.name || handlers[tc.typ] == nil {
			t.Errorf("type %d = %d %q (handler %v), want %d %q with a handler", tc.typ, uint8(tc.typ), tc.typ.String(), handlers[tc.typ] != nil, tc.num, tc.name)
		}
	}
}

// TestACLApplyAndSnapshot applies every ACL entry, checks the state, then
// restores a snapshot into a new FSM and checks it holds the same.
func TestACLApplyAndSnapshot(t *testing.T) {
	f := newFSM(t)
	boot := &nomadlike.ACLToken{AccessorID: "boot", SecretHash: nomadlike.HashACLSecret("root"), Type: "management", CreateTime: appendedAt}
	apply(t, f, 1, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: boot})
	resp := f.Apply(logEntry(t, 2, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: &nomadlike.ACLToken{AccessorID: "b2", SecretHash: "x", Type: "management"}}))
	var done *nomadlike.ACLBootstrapDoneError
	if err, _ := resp.(error); !errors.As(err, &done) || done.ResetIndex != 1 {
		t.Fatalf("second bootstrap response = %v, want ACLBootstrapDoneError at 1", resp)
	}
	apply(t, f, 3, ACLPolicyUpsertRequestType, &ACLPolicyUpsertRequest{Policies: []*nomadlike.ACLPolicy{
		{Name: "ops", Rules: `node { policy = "write" }`}, {Name: "tmp"}}})
	apply(t, f, 4, ACLPolicyDeleteRequestType, &ACLPolicyDeleteRequest{Names: []string{"tmp"}})
	apply(t, f, 5, ACLTokenUpsertRequestType, &ACLTokenUpsertRequest{Tokens: []*nomadlike.ACLToken{
		{AccessorID: "c1", SecretHash: nomadlike.HashACLSecret("c1s"), Type: "client", Policies: []string{"ops"}},
		{AccessorID: "c2", SecretHash: nomadlike.HashACLSecret("c2s"), Type: "client", Policies: []string{"ops"}}}})
	apply(t, f, 6, ACLTokenDeleteRequestType, &ACLTokenDeleteRequest{AccessorIDs: []string{"c2"}})

	check := func(what string, f *FSM) {
		t.Helper()
		st := f.State()
		if p, _ := st.ACLPolicyByName(nil, "ops"); p == nil || p.ModifyIndex != 3 {
			t.Errorf("%s: policy ops = %+v, want it at index 3", what, p)
		}
		if p, _ := st.ACLPolicyByName(nil, "tmp"); p != nil {
			t.Errorf("%s: deleted policy tmp still there", what)
		}
		if tok, _ := st.ACLTokenBySecretHash(nil, nomadlike.HashACLSecret("c1s")); tok == nil || tok.AccessorID != "c1" {
			t.Errorf("%s: token c1 by secret = %+v", what, tok)
		}
		if tok, _ := st.ACLTokenByAccessorID(nil, "c2"); tok != nil {
			t.Errorf("%s: deleted token c2 still there", what)
		}
		if idx, _ := st.ACLBootstrapIndex(); idx != 1 {
			t.Errorf("%s: bootstrap index = %d, want 1", what, idx)
		}
	}
	check("applied", f)

	snap, err := f.Snapshot()
	must(t, err)
	sink := &bufferSink{}
	must(t, snap.Persist(sink))
	dst := newFSM(t)
	must(t, dst.Restore(readCloser{bytes.NewReader(sink.Bytes())}))
	check("restored", dst)
	// The restored FSM still refuses a second bootstrap.
	resp = dst.Apply(logEntry(t, 7, ACLBootstrapRequestType, &ACLBootstrapRequest{Token: &nomadlike.ACLToken{AccessorID: "b3", SecretHash: "y", Type: "management"}}))
	if err, _ := resp.(error); !errors.As(err, &done) {
		t.Errorf("bootstrap after restore = %v, want refused", resp)
	}
}
