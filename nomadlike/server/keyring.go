package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Keyring. The root keys live in Raft state (table root_keys), each one's
// material sealed (AES-256-GCM) under a key encryption key: with a cluster
// key (server.encrypt), a key derived from it, which never enters Raft, so
// the Raft log, snapshots and BoltDB hold only ciphertext; without one, a
// random key stored beside the wrapped key (as Nomad's default keystore
// does), so any server, or a new leader, can still decrypt. Every server
// keeps the unwrapped keys in memory (keyring.Ring), synced from the state
// when the root key table's index moves.

// keyringState is the server's in-memory keyring.
type keyringState struct {
	mu     sync.Mutex
	ring   *keyring.Ring
	synced uint64 // root key table index last synced
	rekey  sync.Mutex
}

// ring returns the server's keyring, synced with the replicated state.
func (s *Server) ring() (*keyring.Ring, error) {
	k := &s.keys
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ring == nil {
		k.ring = keyring.NewRing()
	}
	st := s.fsm.State()
	idx, err := tableIndex(st, state.TableRootKeys)
	if err != nil || idx == k.synced {
		return k.ring, err
	}
	wrapped, err := st.RootKeys(nil)
	if err != nil {
		return nil, err
	}
	for _, w := range wrapped {
		if cur, err := k.ring.Get(w.Meta.KeyID); err == nil {
			if cur.Meta.State != w.Meta.State || cur.Meta.ModifyIndex != w.Meta.ModifyIndex {
				nk, err := keyring.FromMaterial(w.Meta, cur.Material())
				if err != nil {
					return nil, err
				}
				k.ring.Put(nk)
			}
			continue
		}
		key, err := s.unwrapRootKey(w)
		if err != nil {
			return nil, err
		}
		k.ring.Put(key)
	}
	k.synced = idx
	return k.ring, nil
}

func tableIndex(st *state.StateStore, table string) (uint64, error) {
	return st.Index(table)
}

func (s *Server) kek() ([]byte, error) {
	if len(s.cfg.EncryptKey) == 0 {
		return nil, nil
	}
	return keyring.DeriveKEK(s.cfg.EncryptKey)
}

func (s *Server) unwrapRootKey(w *nomadlike.WrappedRootKey) (*keyring.Key, error) {
	if w.Wrap == nomadlike.WrapClusterKey {
		return s.unwrapWithClusterKeys(w) // keyring_rewrap.go
	}
	return keyring.Unwrap(w.KEK, w.Meta, w.WrappedKey)
}

// RootKeys returns the root keys' metadata, oldest first.
func (s *Server) RootKeys() ([]nomadlike.RootKeyMeta, uint64, error) {
	r, err := s.ring()
	if err != nil {
		return nil, 0, err
	}
	out := []nomadlike.RootKeyMeta{}
	for _, k := range r.Keys() {
		out = append(out, k.Meta)
	}
	idx, err := tableIndex(s.fsm.State(), state.TableRootKeys)
	return out, idx, err
}

// Keyring returns the synced in-memory keyring (for JWKS and identity
// verification). Safe for concurrent use.
func (s *Server) Keyring() (*keyring.Ring, error) { return s.ring() }

// RotateRootKey makes a new active root key and returns its metadata;
// the previous key becomes inactive and still decrypts. With full, the
// variables sealed with older keys are re-encrypted with the new key in
// the background (the key is "rekeying" until that ends).
func (s *Server) RotateRootKey(full bool) (*nomadlike.RootKeyMeta, uint64, error) {
	if !s.IsLeader() {
		return nil, 0, notLeader("rotate root key")
	}
	st := nomadlike.RootKeyStateActive
	if full {
		st = nomadlike.RootKeyStateRekeying
	}
	meta, index, err := s.newRootKey(st)
	if err != nil || !full {
		return meta, index, err
	}
	go s.rekeyVariables(meta.KeyID)
	return meta, index, nil
}

func (s *Server) newRootKey(st string) (*nomadlike.RootKeyMeta, uint64, error) {
	key, err := keyring.NewKey(nomadlike.GenerateUUID(), s.cfg.Clock.Now())
	if err != nil {
		return nil, 0, err
	}
	key.Meta.State = st
	w, err := s.wrapRootKey(key)
	if err != nil {
		return nil, 0, err
	}
	index, err := s.raftApply(fsm.RootKeyUpsertRequestType, &fsm.RootKeyUpsertRequest{Key: w})
	if err != nil {
		return nil, index, fmt.Errorf("store root key: %w", err)
	}
	meta := key.Meta
	meta.CreateIndex, meta.ModifyIndex = index, index
	return &meta, index, nil
}

// rekeyVariables re-encrypts, with the key keyID, every variable sealed
// with another key, then marks keyID active. A variable written meanwhile
// is already under the new key (the rekey entry is skipped for it).
func (s *Server) rekeyVariables(keyID string) {
	s.keys.rekey.Lock()
	defer s.keys.rekey.Unlock()
	if err := s.rekeyAll(keyID); err != nil {
		s.logger.Error("keyring: full rotation", "key_id", keyID, "error", err)
		return
	}
	w, err := s.wrappedKey(keyID)
	if err != nil || w == nil {
		return
	}
	nw := *w
	nw.Meta.State = nomadlike.RootKeyStateActive
	if _, err := s.raftApply(fsm.RootKeyUpsertRequestType, &fsm.RootKeyUpsertRequest{Key: &nw}); err != nil {
		s.logger.Error("keyring: mark key active after rekey", "key_id", keyID, "error", err)
	}
}

func (s *Server) rekeyAll(keyID string) error {
	r, err := s.ring()
	if err != nil {
		return err
	}
	nk, err := r.Get(keyID)
	if err != nil {
		return err
	}
	vars, err := s.fsm.State().Variables(nil, "*", "")
	if err != nil {
		return err
	}
	for _, v := range vars {
		if v.KeyID == keyID {
			continue
		}
		plain, err := s.openVariable(r, v)
		if err != nil {
			return err
		}
		sealed, err := nk.Seal(plain, nomadlike.VariableAAD(v.Namespace, v.Path))
		if err != nil {
			return err
		}
		nv := *v
		nv.KeyID, nv.Data = keyID, sealed
		if _, err := s.raftApply(fsm.VariableApplyRequestType, &fsm.VariableApplyRequest{Op: state.VarOpRekey, Var: &nv}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) wrappedKey(id string) (*nomadlike.WrappedRootKey, error) {
	all, err := s.fsm.State().RootKeys(nil)
	if err != nil {
		return nil, err
	}
	for _, w := range all {
		if w.Meta.KeyID == id {
			return w, nil
		}
	}
	return nil, nil
}

// wrapRootKey wraps key as the configuration says: under the cluster key
// (server.encrypt) when there is one, else under a fresh random key stored
// beside it (inline).
func (s *Server) wrapRootKey(key *keyring.Key) (*nomadlike.WrappedRootKey, error) {
	w := &nomadlike.WrappedRootKey{Meta: key.Meta, Wrap: nomadlike.WrapClusterKey}
	kek, err := s.kek()
	if err != nil {
		return nil, err
	}
	if kek == nil {
		if kek, err = keyring.NewKEK(); err != nil {
			return nil, err
		}
		w.Wrap, w.KEK = nomadlike.WrapInline, kek
	}
	if w.WrappedKey, err = keyring.Wrap(kek, key); err != nil {
		return nil, err
	}
	return w, nil
}

// keyringInit makes the first root key when the cluster has none, and
// rewraps the root keys that are not wrapped as the configuration says
// (keyring_rewrap.go); the leader runs it once it leads. A root key that
// does not unwrap (server.encrypt changed) is logged once as an error
// saying what to do, and no key is made in its place.
func (s *Server) keyringInit(ctx context.Context) {
	reported := false
	for {
		r, err := s.ring()
		if errors.Is(err, ErrKeyringKey) {
			if !reported {
				s.logger.Error("keyring: the root keys do not unwrap; variables and workload identities are unavailable", "error", err)
				reported = true
			}
		} else if err == nil {
			if _, err = r.Active(); err == nil {
				s.rewrapRootKeys(ctx)
				return
			}
			if errors.Is(err, keyring.ErrNoActiveKey) {
				if _, _, err = s.newRootKey(nomadlike.RootKeyStateActive); err == nil {
					return
				}
			}
		}
		if !errors.Is(err, nomadlike.ErrNotLeader) && !errors.Is(err, ErrKeyringKey) {
			s.logger.Warn("keyring: initialize root key", "error", err)
		}
		if !ctxsleep.Sleep(ctx, 200*time.Millisecond) {
			return
		}
	}
}
