package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// ACL store entries. Tokens travel with their secret's hash only
// (nomadlike.ACLToken.SecretHash): no secret is ever in the raft log.

// ACLPolicyUpsertRequest creates or updates policies (rules already parsed
// by the leader).
type ACLPolicyUpsertRequest struct {
	Policies []*nomadlike.ACLPolicy `json:"Policies"`
}

// ACLPolicyDeleteRequest deletes policies by name.
type ACLPolicyDeleteRequest struct {
	Names []string `json:"Names"`
}

// ACLTokenUpsertRequest creates or updates tokens.
type ACLTokenUpsertRequest struct {
	Tokens []*nomadlike.ACLToken `json:"Tokens"`
}

// ACLTokenDeleteRequest deletes tokens by accessor ID.
type ACLTokenDeleteRequest struct {
	AccessorIDs []string `json:"AccessorIDs"`
}

// ACLBootstrapRequest stores the bootstrap management token. It is
// applied only when ACLs were never bootstrapped or ResetIndex is the
// index of the last bootstrap (see state.BootstrapACLToken).
type ACLBootstrapRequest struct {
	Token      *nomadlike.ACLToken `json:"Token"`
	ResetIndex uint64              `json:"ResetIndex"`
}

func applyACLPolicyUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	return nil, s.UpsertACLPolicies(e.index, decode[ACLPolicyUpsertRequest](e).Policies)
}

func applyACLPolicyDelete(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	return nil, s.DeleteACLPolicies(e.index, decode[ACLPolicyDeleteRequest](e).Names)
}

func applyACLTokenUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	return nil, s.UpsertACLTokens(e.index, decode[ACLTokenUpsertRequest](e).Tokens)
}

func applyACLTokenDelete(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	return nil, s.DeleteACLTokens(e.index, decode[ACLTokenDeleteRequest](e).AccessorIDs)
}

func applyACLBootstrap(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[ACLBootstrapRequest](e)
	return nil, s.BootstrapACLToken(e.index, req.ResetIndex, req.Token)
}
