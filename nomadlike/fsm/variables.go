package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Variables and keyring message types, explicit numbers 90..99.
const (
	VariableApplyRequestType MessageType = 90
	RootKeyUpsertRequestType MessageType = 91
)

// VariableApplyRequest writes one variable (state.VariableApply): Op is
// state.VarOpSet, VarOpDelete or VarOpRekey; Var holds only ciphertext;
// CAS, when set, is the check-and-set index.
type VariableApplyRequest struct {
	Op  string                       `json:"Op"`
	Var *nomadlike.VariableEncrypted `json:"Var"`
	CAS *uint64                      `json:"CAS,omitempty"`
}

// RootKeyUpsertRequest stores a wrapped root key.
type RootKeyUpsertRequest struct {
	Key *nomadlike.WrappedRootKey `json:"Key"`
}

func applyVariable(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[VariableApplyRequest](e)
	if req.Var == nil {
		return nil, nil
	}
	return nil, s.VariableApply(e.index, req.Op, req.Var, req.CAS, e.at)
}

func applyRootKeyUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[RootKeyUpsertRequest](e)
	return nil, s.UpsertRootKey(e.index, req.Key)
}
