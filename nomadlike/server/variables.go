package server

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// DecryptVariable opens a stored variable's items with its root key.
func (s *Server) DecryptVariable(v *nomadlike.VariableEncrypted) (*nomadlike.Variable, error) {
	r, err := s.ring()
	if err != nil {
		return nil, err
	}
	plain, err := s.openVariable(r, v)
	if err != nil {
		return nil, err
	}
	out := &nomadlike.Variable{Namespace: v.Namespace, Path: v.Path, CreateIndex: v.CreateIndex,
		ModifyIndex: v.ModifyIndex, CreateTime: v.CreateTime, ModifyTime: v.ModifyTime}
	if err := json.Unmarshal(plain, &out.Items); err != nil {
		return nil, fmt.Errorf("decode items of variable %q: %w", v.Path, err)
	}
	return out, nil
}

func (s *Server) openVariable(r *keyring.Ring, v *nomadlike.VariableEncrypted) ([]byte, error) {
	k, err := r.Get(v.KeyID)
	if err != nil {
		return nil, fmt.Errorf("variable %q: %w", v.Path, err)
	}
	return k.Open(v.Data, nomadlike.VariableAAD(v.Namespace, v.Path))
}

// UpsertVariable seals v's items with the active root key and writes it,
// with check-and-set when cas is set (0: the variable must not exist).
// It returns the stored variable (items included) and the raft index; a
// failed check-and-set is a *VariableConflictError.
func (s *Server) UpsertVariable(v *nomadlike.Variable, cas *uint64) (*nomadlike.Variable, uint64, error) {
	if !s.IsLeader() {
		return nil, 0, notLeader("write variable")
	}
	if err := nomadlike.ValidateVariable(v); err != nil {
		return nil, 0, err
	}
	if ns, err := s.fsm.State().NamespaceByName(nil, v.Namespace); err != nil || ns == nil {
		if err == nil {
			err = nomadlike.NamespaceMissingError("Namespace", v.Namespace)
		}
		return nil, 0, err
	}
	r, err := s.ring()
	if err != nil {
		return nil, 0, err
	}
	k, err := r.Active()
	if err != nil {
		return nil, 0, fmt.Errorf("write variable: %w (the leader makes one when it starts; retry)", err)
	}
	plain, err := json.Marshal(v.Items)
	if err != nil {
		return nil, 0, err
	}
	sealed, err := k.Seal(plain, nomadlike.VariableAAD(v.Namespace, v.Path))
	if err != nil {
		return nil, 0, err
	}
	ev := &nomadlike.VariableEncrypted{Namespace: v.Namespace, Path: v.Path, KeyID: k.Meta.KeyID, Data: sealed}
	index, err := s.raftApply(fsm.VariableApplyRequestType, &fsm.VariableApplyRequest{Op: state.VarOpSet, Var: ev, CAS: cas})
	if err != nil {
		return nil, index, s.conflict(err)
	}
	stored, err := s.fsm.State().VariableByPath(nil, v.Namespace, v.Path)
	if err != nil || stored == nil {
		return nil, index, fmt.Errorf("read back variable %q: %v", v.Path, err)
	}
	out, err := s.DecryptVariable(stored)
	return out, index, err
}

// DeleteVariable deletes the variable (no error when absent), with
// check-and-set when cas is set.
func (s *Server) DeleteVariable(ns, path string, cas *uint64) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("delete variable")
	}
	if err := nomadlike.ValidateVariablePath("Path", path); err != nil {
		return 0, err
	}
	ev := &nomadlike.VariableEncrypted{Namespace: ns, Path: path}
	index, err := s.raftApply(fsm.VariableApplyRequestType, &fsm.VariableApplyRequest{Op: state.VarOpDelete, Var: ev, CAS: cas})
	if err != nil {
		return index, s.conflict(err)
	}
	return index, nil
}

// conflict turns the store's conflict into one with the decrypted variable.
func (s *Server) conflict(err error) error {
	var ce *state.VariableConflictError
	if !errors.As(err, &ce) {
		return err
	}
	if ce.Current == nil {
		return &nomadlike.VariableConflictError{}
	}
	cur, derr := s.DecryptVariable(ce.Current)
	if derr != nil {
		return derr
	}
	return &nomadlike.VariableConflictError{Current: cur}
}
