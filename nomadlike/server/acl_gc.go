package server

import (
	"context"
	"time"
)

// Expired ACL tokens stop resolving at once; the leader deletes them later,
// as Nomad's acl_token_expiration_gc_interval and acl_token_gc_threshold
// defaults do: every aclTokenGCInterval it deletes the tokens that expired
// more than aclTokenGCThreshold ago (until then `acl token list` shows them
// as expired).
const (
	aclTokenGCInterval  = 5 * time.Minute
	aclTokenGCThreshold = time.Hour
	// aclTokenGCBatch caps the tokens deleted by one raft entry.
	aclTokenGCBatch = 1000
)

// aclTokenGC runs on the leader until ctx ends.
func (s *Server) aclTokenGC(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Clock.After(aclTokenGCInterval):
		}
		if err := s.gcExpiredACLTokens(); err != nil && ctx.Err() == nil {
			s.logger.Warn("delete expired ACL tokens", "error", err)
		}
	}
}

// gcExpiredACLTokens deletes the tokens that expired more than
// aclTokenGCThreshold ago, in batches.
func (s *Server) gcExpiredACLTokens() error {
	tokens, err := s.fsm.State().ACLTokens(nil, "")
	if err != nil {
		return err
	}
	cutoff := s.cfg.Clock.Now().Add(-aclTokenGCThreshold)
	var ids []string
	for _, t := range tokens {
		if t.IsExpired(cutoff) {
			ids = append(ids, t.AccessorID)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), aclTokenGCBatch)
		if _, err := s.DeleteACLTokens(ids[:n]); err != nil {
			return err
		}
		s.logger.Debug("deleted expired ACL tokens", "count", n)
		ids = ids[n:]
	}
	return nil
}
