package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

// Cluster key changes. A root key wrapped with the cluster key
// (server.encrypt) opens only with that key. When server.encrypt changes,
// the old key goes in server.previous_encrypt (Config.PreviousEncryptKeys):
// root keys then unwrap with it, and the leader rewraps every root key
// under the current configuration (the new cluster key, or inline when
// server.encrypt was removed), after which previous_encrypt can go.
// Without it, such a root key does not unwrap: ErrKeyringKey, with what to
// do, from every variable and identity call and in the leader's log.

// ErrKeyringKey is wrapped when a root key does not unwrap with the
// server's cluster keys: server.encrypt changed since the key was made.
var ErrKeyringKey = errors.New("the root key does not unwrap with this server's cluster key")

// unwrapWithClusterKeys unwraps a root key wrapped with a cluster key: the
// current one, then each previous one.
func (s *Server) unwrapWithClusterKeys(w *nomadlike.WrappedRootKey) (*keyring.Key, error) {
	keys := s.cfg.PreviousEncryptKeys
	if len(s.cfg.EncryptKey) > 0 {
		keys = append([][]byte{s.cfg.EncryptKey}, keys...)
	}
	for _, ck := range keys {
		kek, err := keyring.DeriveKEK(ck)
		if err != nil {
			return nil, err
		}
		k, err := keyring.Unwrap(kek, w.Meta, w.WrappedKey)
		if err == nil || !errors.Is(err, keyring.ErrDecrypt) {
			return k, err
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("root key %s: %w: it is wrapped with a cluster key and this server has no server.encrypt; "+
			"set server.encrypt to the key the cluster had, or put that key in server.previous_encrypt to keep the keyring without one (the leader rewraps it)",
			w.Meta.KeyID, ErrKeyringKey)
	}
	return nil, fmt.Errorf("root key %s: %w: server.encrypt changed since the key was made; "+
		"set server.encrypt back, or add the old key to server.previous_encrypt on every server (the leader then rewraps the root keys under the new key, and logs \"keyring: rewrapped\")",
		w.Meta.KeyID, ErrKeyringKey)
}

// wrappedAsConfigured reports whether w is wrapped as the configuration
// says: under the current cluster key, or inline without one.
func (s *Server) wrappedAsConfigured(w *nomadlike.WrappedRootKey) bool {
	if len(s.cfg.EncryptKey) == 0 {
		return w.Wrap == nomadlike.WrapInline
	}
	if w.Wrap != nomadlike.WrapClusterKey {
		return false // inline: the cluster key came later; move its KEK out of Raft
	}
	kek, err := s.kek()
	if err != nil {
		return false
	}
	_, err = keyring.Unwrap(kek, w.Meta, w.WrappedKey)
	return err == nil
}

// rewrapRootKeys rewraps, as the configuration says, every root key that
// is not (the leader runs it at start, once the keys unwrap). Rewrapping
// keeps a key's ID, state and material; only its wrapping changes.
func (s *Server) rewrapRootKeys(ctx context.Context) {
	s.keys.rekey.Lock() // not during a full rotation's state changes
	defer s.keys.rekey.Unlock()
	all, err := s.fsm.State().RootKeys(nil)
	if err != nil {
		s.logger.Warn("keyring: rewrap", "error", err)
		return
	}
	r, err := s.ring()
	if err != nil {
		s.logger.Warn("keyring: rewrap", "error", err)
		return
	}
	n := 0
	for _, w := range all {
		if ctx.Err() != nil {
			return
		}
		if s.wrappedAsConfigured(w) {
			continue
		}
		k, err := r.Get(w.Meta.KeyID)
		if err != nil {
			s.logger.Warn("keyring: rewrap", "key_id", w.Meta.KeyID, "error", err)
			continue
		}
		nk, err := keyring.FromMaterial(w.Meta, k.Material())
		if err != nil {
			s.logger.Warn("keyring: rewrap", "key_id", w.Meta.KeyID, "error", err)
			continue
		}
		nw, err := s.wrapRootKey(nk)
		if err != nil {
			s.logger.Warn("keyring: rewrap", "key_id", w.Meta.KeyID, "error", err)
			continue
		}
		if _, err := s.raftApply(fsm.RootKeyUpsertRequestType, &fsm.RootKeyUpsertRequest{Key: nw}); err != nil {
			s.logger.Warn("keyring: rewrap", "key_id", w.Meta.KeyID, "error", err)
			continue
		}
		n++
	}
	if n > 0 {
		s.logger.Info("keyring: rewrapped", "root_keys", n, "wrap", map[bool]string{true: nomadlike.WrapClusterKey, false: nomadlike.WrapInline}[len(s.cfg.EncryptKey) > 0],
			"next", "server.previous_encrypt can be removed")
	}
}
