package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ACL tables. Tokens are stored with their secret's hash only (see
// nomadlike.ACLToken): the secret index is on SecretHash.
const (
	TableACLPolicies = "acl_policies"
	TableACLTokens   = "acl_tokens"
	// IndexACLBootstrap is the index table key holding the raft index of
	// the last ACL bootstrap (absent: never bootstrapped). It is the
	// "reset index" an operator writes to acl-bootstrap-reset.
	IndexACLBootstrap = "acl_token_bootstrap"

	indexSecretHash = "secret_hash"
)

// aclTableSchemas are the ACL tables, added to schema().
func aclTableSchemas() map[string]*memdb.TableSchema {
	return map[string]*memdb.TableSchema{
		TableACLPolicies: {
			Name: TableACLPolicies,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
			},
		},
		TableACLTokens: {
			Name: TableACLTokens,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:         {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "AccessorID"}},
				indexSecretHash: {Name: indexSecretHash, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "SecretHash"}},
			},
		},
	}
}

// ACLPolicyByName returns the policy, or nil, nil.
func (r *Reader) ACLPolicyByName(ws memdb.WatchSet, name string) (*nomadlike.ACLPolicy, error) {
	return first[nomadlike.ACLPolicy](r.txn(ws), ws, TableACLPolicies, indexID, name)
}

// ACLPolicies returns the policies whose name starts with prefix, by name.
func (r *Reader) ACLPolicies(ws memdb.WatchSet, prefix string) ([]*nomadlike.ACLPolicy, error) {
	return list[nomadlike.ACLPolicy](r.txn(ws), ws, nil, TableACLPolicies, indexID+"_prefix", prefix)
}

// ACLTokenByAccessorID returns the token, expired or not, or nil, nil.
func (r *Reader) ACLTokenByAccessorID(ws memdb.WatchSet, id string) (*nomadlike.ACLToken, error) {
	return first[nomadlike.ACLToken](r.txn(ws), ws, TableACLTokens, indexID, id)
}

// ACLTokenBySecretHash returns the token whose secret hashes to hash
// (nomadlike.HashACLSecret), expired or not, or nil, nil.
func (r *Reader) ACLTokenBySecretHash(ws memdb.WatchSet, hash string) (*nomadlike.ACLToken, error) {
	if hash == "" {
		return nil, nil
	}
	return first[nomadlike.ACLToken](r.txn(ws), ws, TableACLTokens, indexSecretHash, hash)
}

// ACLTokens returns the tokens whose accessor ID starts with prefix, by
// accessor ID.
func (r *Reader) ACLTokens(ws memdb.WatchSet, prefix string) ([]*nomadlike.ACLToken, error) {
	return list[nomadlike.ACLToken](r.txn(ws), ws, nil, TableACLTokens, indexID+"_prefix", prefix)
}

// ACLIndexes returns the indexes of the two ACL tables.
func (r *Reader) ACLIndexes() (policies, tokens uint64, err error) {
	if policies, err = r.Index(TableACLPolicies); err != nil {
		return 0, 0, err
	}
	tokens, err = r.Index(TableACLTokens)
	return policies, tokens, err
}

// ACLWatch returns channels closed when the index of the policies or the
// tokens table changes (and maybe on other writes while a table was never
// written). A compiled ACL cached while neither is closed is current:
// checking costs two channel polls. Get them before reading what they
// guard.
func (r *Reader) ACLWatch() (policies, tokens <-chan struct{}, err error) {
	txn := r.db.Txn(false)
	policies, _, err = txn.FirstWatch(TableIndex, indexID, TableACLPolicies)
	if err != nil {
		return nil, nil, fmt.Errorf("watch ACL policies index: %w", err)
	}
	tokens, _, err = txn.FirstWatch(TableIndex, indexID, TableACLTokens)
	if err != nil {
		return nil, nil, fmt.Errorf("watch ACL tokens index: %w", err)
	}
	return policies, tokens, nil
}

// ACLBootstrapIndex returns the raft index of the last ACL bootstrap, 0
// when ACLs were never bootstrapped.
func (r *Reader) ACLBootstrapIndex() (uint64, error) { return r.Index(IndexACLBootstrap) }

// UpsertACLPolicies writes policies at index, keeping the CreateIndex of
// those that exist. The caller has validated them.
func (s *StateStore) UpsertACLPolicies(index uint64, policies []*nomadlike.ACLPolicy) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		for _, p := range policies {
			cur, err := first[nomadlike.ACLPolicy](txn, nil, TableACLPolicies, indexID, p.Name)
			if err != nil {
				return err
			}
			rec := *p
			rec.CreateIndex, rec.ModifyIndex = index, index
			if cur != nil {
				rec.CreateIndex = cur.CreateIndex
			}
			if err := txn.Insert(TableACLPolicies, &rec); err != nil {
				return fmt.Errorf("upsert ACL policy %q: %w", p.Name, err)
			}
		}
		return bumpIndex(txn, TableACLPolicies, index)
	})
}

// DeleteACLPolicies removes policies by name. A name that does not exist
// fails with an error wrapping nomadlike.ErrNotFound and nothing is
// deleted. Tokens naming a deleted policy keep the name and lose its rights.
func (s *StateStore) DeleteACLPolicies(index uint64, names []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		return deleteACLObjects[nomadlike.ACLPolicy](txn, index, TableACLPolicies, "ACL policy", names)
	})
}

// deleteACLObjects deletes the objects of table by ID and bumps the
// table's index; an unknown ID fails with an error wrapping
// nomadlike.ErrNotFound.
func deleteACLObjects[T any](txn *memdb.Txn, index uint64, table, what string, ids []string) error {
	for _, id := range ids {
		cur, err := first[T](txn, nil, table, indexID, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return fmt.Errorf("delete %s %q: %w", what, id, nomadlike.ErrNotFound)
		}
		if err := txn.Delete(table, cur); err != nil {
			return fmt.Errorf("delete %s %q: %w", what, id, err)
		}
	}
	return bumpIndex(txn, table, index)
}

// UpsertACLTokens writes tokens at index, keeping the CreateIndex,
// CreateTime and SecretHash of those that exist. Every token needs an
// AccessorID and, when new, a SecretHash; a secret hash already used by
// another token fails with an error wrapping nomadlike.ErrConflict. The
// tokens are stored without SecretID.
func (s *StateStore) UpsertACLTokens(index uint64, tokens []*nomadlike.ACLToken) error {
	return s.writeTxn(func(txn *memdb.Txn) error { return upsertACLTokensTxn(txn, index, tokens) })
}

func upsertACLTokensTxn(txn *memdb.Txn, index uint64, tokens []*nomadlike.ACLToken) error {
	for _, t := range tokens {
		if t == nil || t.AccessorID == "" {
			return fmt.Errorf("upsert ACL token: %w: AccessorID is required", nomadlike.ErrValidation)
		}
		cur, err := first[nomadlike.ACLToken](txn, nil, TableACLTokens, indexID, t.AccessorID)
		if err != nil {
			return err
		}
		rec := t.Copy()
		rec.SecretID, rec.ExpirationTTL = "", 0
		rec.CreateIndex, rec.ModifyIndex = index, index
		if cur != nil {
			rec.CreateIndex, rec.CreateTime, rec.SecretHash = cur.CreateIndex, cur.CreateTime, cur.SecretHash
		}
		if rec.SecretHash == "" {
			return fmt.Errorf("upsert ACL token %s: %w: SecretHash is required", t.AccessorID, nomadlike.ErrValidation)
		}
		other, err := first[nomadlike.ACLToken](txn, nil, TableACLTokens, indexSecretHash, rec.SecretHash)
		if err != nil {
			return err
		}
		if other != nil && other.AccessorID != rec.AccessorID {
			return fmt.Errorf("upsert ACL token %s: %w: the secret is used by another token", t.AccessorID, nomadlike.ErrConflict)
		}
		if err := txn.Insert(TableACLTokens, rec); err != nil {
			return fmt.Errorf("upsert ACL token %s: %w", t.AccessorID, err)
		}
	}
	return bumpIndex(txn, TableACLTokens, index)
}

// DeleteACLTokens removes tokens by accessor ID. An unknown accessor fails
// with an error wrapping nomadlike.ErrNotFound and nothing is deleted.
func (s *StateStore) DeleteACLTokens(index uint64, accessorIDs []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		return deleteACLObjects[nomadlike.ACLToken](txn, index, TableACLTokens, "ACL token", accessorIDs)
	})
}

// BootstrapACLToken stores the first management token at index, in one
// transaction with the check that allows it: ACLs were never bootstrapped,
// or resetIndex is the index of the last bootstrap (the operator wrote it
// to the reset file). Otherwise the error is a
// *nomadlike.ACLBootstrapDoneError and nothing is written.
func (s *StateStore) BootstrapACLToken(index, resetIndex uint64, token *nomadlike.ACLToken) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		e, err := first[IndexEntry](txn, nil, TableIndex, indexID, IndexACLBootstrap)
		if err != nil {
			return err
		}
		if e != nil && e.Value != resetIndex {
			return &nomadlike.ACLBootstrapDoneError{ResetIndex: e.Value}
		}
		if err := upsertACLTokensTxn(txn, index, []*nomadlike.ACLToken{token}); err != nil {
			return err
		}
		return bumpIndex(txn, IndexACLBootstrap, index)
	})
}
