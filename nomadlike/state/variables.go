package state

import (
	"errors"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Variables and the keyring (variables.go): encrypted variables by
// (Namespace, Path), and the wrapped root keys by KeyID. Neither table
// holds a plaintext item or unwrapped key material.
const (
	TableVariables = "variables"
	TableRootKeys  = "root_keys"
)

func variableTableSchemas() map[string]*memdb.TableSchema {
	return map[string]*memdb.TableSchema{
		TableVariables: {
			Name: TableVariables,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("Path")},
			},
		},
		TableRootKeys: {
			Name: TableRootKeys,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: &rootKeyIndex{}},
			},
		},
	}
}

// rootKeyIndex indexes a WrappedRootKey by Meta.KeyID.
type rootKeyIndex struct{ memdb.StringFieldIndex }

func (rootKeyIndex) FromObject(obj any) (bool, []byte, error) {
	id := obj.(*nomadlike.WrappedRootKey).Meta.KeyID
	return id != "", []byte(id + "\x00"), nil
}

func (rootKeyIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("root key index: want 1 argument, got %d", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("root key index: argument is %T, want string", args[0])
	}
	return []byte(s + "\x00"), nil
}

// VariableConflictError is a check-and-set failure: the variable at the
// path is Current (nil: none exists). It matches nomadlike.ErrConflict.
type VariableConflictError struct {
	Current *nomadlike.VariableEncrypted
}

func (e *VariableConflictError) Error() string {
	if e.Current == nil {
		return "check-and-set conflict: the variable does not exist"
	}
	return fmt.Sprintf("check-and-set conflict: the variable's ModifyIndex is %d", e.Current.ModifyIndex)
}

// Is makes the error match nomadlike.ErrConflict.
func (e *VariableConflictError) Is(target error) bool { return target == nomadlike.ErrConflict }

// ErrVariableNotFound is returned by a delete or rekey of a missing variable.
var ErrVariableNotFound = fmt.Errorf("variable %w", nomadlike.ErrNotFound)

// VariableByPath returns the encrypted variable, nil when absent.
func (r *Reader) VariableByPath(ws memdb.WatchSet, ns, path string) (*nomadlike.VariableEncrypted, error) {
	return first[nomadlike.VariableEncrypted](r.txn(ws), ws, TableVariables, indexID, ns, path)
}

// Variables returns the variables of namespace ns ("*": every namespace)
// whose path starts with prefix, ordered by (namespace, path).
func (r *Reader) Variables(ws memdb.WatchSet, ns, prefix string) ([]*nomadlike.VariableEncrypted, error) {
	if ns == "*" {
		return list[nomadlike.VariableEncrypted](r.txn(ws), ws, func(v *nomadlike.VariableEncrypted) bool {
			return len(v.Path) >= len(prefix) && v.Path[:len(prefix)] == prefix
		}, TableVariables, indexID)
	}
	return list[nomadlike.VariableEncrypted](r.txn(ws), ws, nil, TableVariables, indexID+"_prefix", ns, prefix)
}

// VariablesByKey returns every variable sealed with the root key keyID.
func (r *Reader) VariablesByKey(keyID string) ([]*nomadlike.VariableEncrypted, error) {
	return list[nomadlike.VariableEncrypted](r.txn(nil), nil, func(v *nomadlike.VariableEncrypted) bool {
		return v.KeyID == keyID
	}, TableVariables, indexID)
}

// Variable write operations (VariableApply).
const (
	VarOpSet    = "set"
	VarOpDelete = "delete"
	// VarOpRekey replaces the ciphertext and KeyID of an existing variable,
	// keeping its indexes and times, when its ModifyIndex is still the one
	// the rekeyer read (else it is left alone: a newer write won).
	VarOpRekey = "rekey"
)

// VariableApply writes one variable at raft index. For set and delete,
// cas (when non-nil) is a check-and-set: the current ModifyIndex must be
// *cas (0: the variable must not exist), else a *VariableConflictError.
// Set keeps CreateIndex/CreateTime of an existing variable and stamps
// ModifyIndex = index; now is the entry's time (unix nanos).
func (s *StateStore) VariableApply(index uint64, op string, v *nomadlike.VariableEncrypted, cas *uint64, now int64) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		cur, err := first[nomadlike.VariableEncrypted](txn, nil, TableVariables, indexID, v.Namespace, v.Path)
		if err != nil {
			return err
		}
		if cas != nil && op != VarOpRekey {
			if (cur == nil && *cas != 0) || (cur != nil && cur.ModifyIndex != *cas) {
				return &VariableConflictError{Current: cur}
			}
		}
		switch op {
		case VarOpSet:
			nv := *v
			nv.CreateIndex, nv.ModifyIndex, nv.CreateTime, nv.ModifyTime = index, index, now, now
			if cur != nil {
				nv.CreateIndex, nv.CreateTime = cur.CreateIndex, cur.CreateTime
			}
			if err := txn.Insert(TableVariables, &nv); err != nil {
				return fmt.Errorf("insert variable: %w", err)
			}
		case VarOpDelete:
			if cur == nil {
				return nil // deleting a missing variable is a no-op, as Nomad's
			}
			if err := txn.Delete(TableVariables, cur); err != nil {
				return fmt.Errorf("delete variable: %w", err)
			}
		case VarOpRekey:
			if cur == nil || cur.ModifyIndex != v.ModifyIndex {
				return nil
			}
			nv := *cur
			nv.KeyID, nv.Data = v.KeyID, v.Data
			if err := txn.Insert(TableVariables, &nv); err != nil {
				return fmt.Errorf("rekey variable: %w", err)
			}
			return nil // a rekey does not move the table index: no reader sees a change
		default:
			return fmt.Errorf("%w: unknown variable operation %q", nomadlike.ErrValidation, op)
		}
		return bumpIndex(txn, TableVariables, index)
	})
}

// RootKeys returns the wrapped root keys, in KeyID order.
func (r *Reader) RootKeys(ws memdb.WatchSet) ([]*nomadlike.WrappedRootKey, error) {
	return list[nomadlike.WrappedRootKey](r.txn(ws), ws, nil, TableRootKeys, indexID)
}

// UpsertRootKey stores a wrapped root key at raft index. A key stored
// active makes every other active key inactive (one active key).
func (s *StateStore) UpsertRootKey(index uint64, k *nomadlike.WrappedRootKey) error {
	if k == nil || k.Meta.KeyID == "" || len(k.WrappedKey) == 0 {
		return errors.New("upsert root key: missing KeyID or wrapped key")
	}
	return s.writeTxn(func(txn *memdb.Txn) error {
		cur, err := first[nomadlike.WrappedRootKey](txn, nil, TableRootKeys, indexID, k.Meta.KeyID)
		if err != nil {
			return err
		}
		nk := *k
		nk.Meta.CreateIndex, nk.Meta.ModifyIndex = index, index
		if cur != nil {
			nk.Meta.CreateIndex = cur.Meta.CreateIndex
		}
		if nk.Meta.Active() {
			all, err := list[nomadlike.WrappedRootKey](txn, nil, nil, TableRootKeys, indexID)
			if err != nil {
				return err
			}
			for _, o := range all {
				if o.Meta.KeyID != nk.Meta.KeyID && o.Meta.Active() {
					ok := *o
					ok.Meta.State, ok.Meta.ModifyIndex = nomadlike.RootKeyStateInactive, index
					if err := txn.Insert(TableRootKeys, &ok); err != nil {
						return err
					}
				}
			}
		}
		if err := txn.Insert(TableRootKeys, &nk); err != nil {
			return fmt.Errorf("insert root key: %w", err)
		}
		return bumpIndex(txn, TableRootKeys, index)
	})
}
