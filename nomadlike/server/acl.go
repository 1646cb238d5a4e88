package server

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// The ACL store: policies and tokens, written through raft like every other
// object. The server keeps only the SHA-256 of each token's secret (see
// nomadlike.ACLToken): the secret is made here, on the leader, returned to
// the caller that created the token, and never written anywhere.

// UpsertACLPolicies creates or updates policies; leader only. Every
// policy's name is checked and its rules parsed (acl.Parse) before
// anything is written: one bad policy refuses the whole request, with the
// policy's field path and, for rules, "name:line:col" positions. It
// returns the commit index.
func (s *Server) UpsertACLPolicies(policies []*nomadlike.ACLPolicy) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("upsert ACL policies")
	}
	if len(policies) == 0 {
		return 0, fmt.Errorf("upsert ACL policies: %w: no policy given", nomadlike.ErrValidation)
	}
	var errs []nomadlike.FieldError
	out := make([]*nomadlike.ACLPolicy, 0, len(policies))
	for i, p := range policies {
		where := fmt.Sprintf("Policies[%d]", i)
		if p == nil {
			errs = append(errs, nomadlike.FieldError{Path: where, Message: "missing policy"})
			continue
		}
		errs = append(errs, fieldErrors(where, p.Validate())...)
		if _, err := acl.Parse(p.Name, []byte(p.Rules)); err != nil {
			errs = append(errs, nomadlike.FieldError{Path: where + ".Rules", Message: err.Error()})
		}
		c := *p
		if p.JobACL != nil {
			j := *p.JobACL
			c.JobACL = &j
		}
		out = append(out, &c)
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("upsert ACL policies: %w", &nomadlike.ValidationError{Errors: errs})
	}
	index, err := s.raftApply(fsm.ACLPolicyUpsertRequestType, &fsm.ACLPolicyUpsertRequest{Policies: out})
	if err != nil {
		return 0, fmt.Errorf("upsert ACL policies: %w", err)
	}
	return index, nil
}

// fieldErrors returns the field errors of a *nomadlike.ValidationError
// under the path prefix, or err itself as one error.
func fieldErrors(prefix string, err error) []nomadlike.FieldError {
	if err == nil {
		return nil
	}
	var ve *nomadlike.ValidationError
	if !errors.As(err, &ve) {
		return []nomadlike.FieldError{{Path: prefix, Message: err.Error()}}
	}
	out := make([]nomadlike.FieldError, len(ve.Errors))
	for i, fe := range ve.Errors {
		out[i] = fe
		if prefix != "" {
			out[i].Path = prefix + "." + fe.Path
		}
	}
	return out
}

// DeleteACLPolicies deletes policies by name; leader only. An unknown name
// fails with an error wrapping nomadlike.ErrNotFound and nothing is deleted.
func (s *Server) DeleteACLPolicies(names []string) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("delete ACL policies")
	}
	st := s.fsm.State()
	for _, n := range names {
		p, err := st.ACLPolicyByName(nil, n)
		if err != nil {
			return 0, err
		}
		if p == nil {
			return 0, fmt.Errorf("delete ACL policy %q: %w", n, nomadlike.ErrNotFound)
		}
	}
	index, err := s.raftApply(fsm.ACLPolicyDeleteRequestType, &fsm.ACLPolicyDeleteRequest{Names: names})
	if err != nil {
		return 0, fmt.Errorf("delete ACL policies: %w", err)
	}
	return index, nil
}

// CreateACLToken creates a token with a server-made AccessorID and
// SecretID (random UUIDs); leader only. The token must be valid (see
// nomadlike.ACLToken.Validate) and name existing policies; ExpirationTTL
// sets ExpirationTime from the creation time, and an ExpirationTime must
// be in the future. The answer is the only place the SecretID appears.
func (s *Server) CreateACLToken(in *nomadlike.ACLToken) (*nomadlike.ACLToken, uint64, error) {
	if !s.IsLeader() {
		return nil, 0, notLeader("create ACL token")
	}
	if in == nil {
		return nil, 0, fmt.Errorf("create ACL token: %w: missing token", nomadlike.ErrValidation)
	}
	if in.AccessorID != "" {
		return nil, 0, fmt.Errorf("create ACL token: %w: AccessorID: is made by the server; to update a token use POST /v1/acl/token/<accessor_id>", nomadlike.ErrValidation)
	}
	now := s.cfg.Clock.Now().UTC()
	t := in.Copy()
	t.CreateTime = now
	if err := s.checkACLToken(t, now); err != nil {
		return nil, 0, fmt.Errorf("create ACL token: %w", err)
	}
	if t.ExpirationTTL > 0 {
		exp := now.Add(t.ExpirationTTL)
		t.ExpirationTime = &exp
	}
	secret := nomadlike.GenerateUUID()
	t.AccessorID, t.SecretID, t.SecretHash = nomadlike.GenerateUUID(), "", nomadlike.HashACLSecret(secret)
	index, err := s.raftApply(fsm.ACLTokenUpsertRequestType, &fsm.ACLTokenUpsertRequest{Tokens: []*nomadlike.ACLToken{t}})
	if err != nil {
		return nil, 0, fmt.Errorf("create ACL token: %w", err)
	}
	return s.createdToken(t.AccessorID, secret, index)
}

// createdToken reads back a token written at index and returns it with
// its secret, for the one answer that shows it.
func (s *Server) createdToken(accessorID, secret string, index uint64) (*nomadlike.ACLToken, uint64, error) {
	stored, err := s.fsm.State().ACLTokenByAccessorID(nil, accessorID)
	if err != nil {
		return nil, 0, err
	}
	if stored == nil {
		return nil, 0, fmt.Errorf("ACL token %s: %w after commit", accessorID, nomadlike.ErrNotFound)
	}
	out := stored.Public()
	out.SecretID = secret
	return out, index, nil
}

// UpdateACLToken changes an existing token's Name, Type and Policies;
// leader only. The AccessorID, SecretID, creation and expiry stay (an
// ExpirationTTL, or an ExpirationTime other than the stored one, is
// refused), and so does Global. An unknown accessor fails with an error
// wrapping nomadlike.ErrNotFound. The answer has no SecretID.
func (s *Server) UpdateACLToken(in *nomadlike.ACLToken) (*nomadlike.ACLToken, uint64, error) {
	if !s.IsLeader() {
		return nil, 0, notLeader("update ACL token")
	}
	if in == nil || in.AccessorID == "" {
		return nil, 0, fmt.Errorf("update ACL token: %w: AccessorID is required", nomadlike.ErrValidation)
	}
	cur, err := s.fsm.State().ACLTokenByAccessorID(nil, in.AccessorID)
	if err != nil {
		return nil, 0, err
	}
	if cur == nil {
		return nil, 0, fmt.Errorf("update ACL token %s: %w", in.AccessorID, nomadlike.ErrNotFound)
	}
	t := cur.Copy()
	t.Name, t.Type, t.Policies, t.Roles = in.Name, in.Type, slices.Clone(in.Policies), in.Roles
	var errs []nomadlike.FieldError
	if in.ExpirationTTL != 0 || (in.ExpirationTime != nil && (cur.ExpirationTime == nil || !in.ExpirationTime.Equal(*cur.ExpirationTime))) {
		errs = append(errs, nomadlike.FieldError{Path: "ExpirationTime", Message: "a token's expiry cannot be changed; create a new token"})
	}
	if in.Global != cur.Global {
		errs = append(errs, nomadlike.FieldError{Path: "Global", Message: "cannot toggle a token's Global flag"})
	}
	if err := s.checkACLToken(t, time.Time{}); err != nil {
		var ve *nomadlike.ValidationError
		if !errors.As(err, &ve) {
			return nil, 0, fmt.Errorf("update ACL token %s: %w", in.AccessorID, err)
		}
		errs = append(errs, ve.Errors...)
	}
	if len(errs) > 0 {
		return nil, 0, fmt.Errorf("update ACL token %s: %w", in.AccessorID, &nomadlike.ValidationError{Errors: errs})
	}
	index, err := s.raftApply(fsm.ACLTokenUpsertRequestType, &fsm.ACLTokenUpsertRequest{Tokens: []*nomadlike.ACLToken{t}})
	if err != nil {
		return nil, 0, fmt.Errorf("update ACL token %s: %w", in.AccessorID, err)
	}
	stored, err := s.fsm.State().ACLTokenByAccessorID(nil, t.AccessorID)
	if err != nil || stored == nil {
		return nil, 0, fmt.Errorf("update ACL token %s: read back: %w", in.AccessorID, errors.Join(err, nomadlike.ErrNotFound))
	}
	return stored.Public(), index, nil
}

// checkACLToken validates t and checks that its policies exist. A non-zero
// now also checks that an ExpirationTime is after now. Errors are
// *nomadlike.ValidationError (or state errors).
func (s *Server) checkACLToken(t *nomadlike.ACLToken, now time.Time) error {
	var errs []nomadlike.FieldError
	if err := t.Validate(); err != nil {
		errs = append(errs, fieldErrors("", err)...)
	}
	if !now.IsZero() && t.ExpirationTime != nil && !t.ExpirationTime.After(now) {
		errs = append(errs, nomadlike.FieldError{Path: "ExpirationTime", Message: "is in the past"})
	}
	st := s.fsm.State()
	for i, name := range t.Policies {
		if !nomadlike.ValidACLPolicyName(name) {
			continue // reported by Validate
		}
		p, err := st.ACLPolicyByName(nil, name)
		if err != nil {
			return err
		}
		if p == nil {
			errs = append(errs, nomadlike.FieldError{Path: fmt.Sprintf("Policies[%d]", i), Message: fmt.Sprintf("policy %q does not exist", name)})
		}
	}
	if len(errs) > 0 {
		return &nomadlike.ValidationError{Errors: errs}
	}
	return nil
}

// DeleteACLTokens deletes tokens by accessor ID; leader only. An unknown
// accessor fails with an error wrapping nomadlike.ErrNotFound and nothing
// is deleted.
func (s *Server) DeleteACLTokens(accessorIDs []string) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("delete ACL tokens")
	}
	st := s.fsm.State()
	for _, id := range accessorIDs {
		t, err := st.ACLTokenByAccessorID(nil, id)
		if err != nil {
			return 0, err
		}
		if t == nil {
			return 0, fmt.Errorf("delete ACL token %s: %w", id, nomadlike.ErrNotFound)
		}
	}
	index, err := s.raftApply(fsm.ACLTokenDeleteRequestType, &fsm.ACLTokenDeleteRequest{AccessorIDs: accessorIDs})
	if err != nil {
		return 0, fmt.Errorf("delete ACL tokens: %w", err)
	}
	return index, nil
}
