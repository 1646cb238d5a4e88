package server

import (
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

// Workload identity. The servers sign a JWT for every task of an
// allocation when the client fetches it (SignIdentities; never stored in
// Raft), with the active root key's Ed25519 key; ResolveToken accepts such
// a token while the allocation is not terminal, with the rights of
// acl.WorkloadACL.

// SignIdentities returns each task's identity token for a non-terminal
// allocation (nil for a terminal one or one without its job).
func (s *Server) SignIdentities(a *nomadlike.Allocation) (map[string]string, error) {
	if a == nil || a.Job == nil || a.TerminalStatus() {
		return nil, nil
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return nil, nil
	}
	r, err := s.ring()
	if err != nil {
		return nil, err
	}
	k, err := r.Active()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	out := make(map[string]string, len(tg.Tasks))
	for _, t := range tg.Tasks {
		c := identityClaims(s.cfg.Region, a, t, now)
		tok, err := keyring.Sign(k, c)
		if err != nil {
			return nil, err
		}
		out[t.Name] = tok
	}
	return out, nil
}

func identityClaims(region string, a *nomadlike.Allocation, t *nomadlike.Task, now time.Time) *keyring.IdentityClaims {
	name, aud, ttl := nomadlike.DefaultIdentityName, []string{keyring.DefaultAudience}, time.Duration(0)
	if id := t.Identity; id != nil {
		if id.Name != "" {
			name = id.Name
		}
		if len(id.Audience) > 0 {
			aud = id.Audience
		}
		ttl = id.TTL
	}
	c := &keyring.IdentityClaims{Namespace: a.Namespace, JobID: a.JobID, AllocationID: a.ID, Task: t.Name,
		Claims: jwt.Claims{
			Subject:  keyring.Subject(region, a.Namespace, a.JobID, a.TaskGroup, t.Name, name),
			Audience: jwt.Audience(aud), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ID: nomadlike.GenerateUUID(),
		}}
	if ttl > 0 {
		c.Expiry = jwt.NewNumericDate(now.Add(ttl))
	}
	return c
}

// resolveWorkload verifies a workload identity token and returns its ACL.
// A bad signature, an unknown key, an expired token or the token of an
// allocation that is gone or terminal is nomadlike.ErrTokenNotFound.
func (s *Server) resolveWorkload(token string) (*acl.ACL, error) {
	r, err := s.ring()
	if err != nil {
		return nil, err
	}
	c, err := keyring.Verify(r, token, s.cfg.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("resolve token: %w: %v", nomadlike.ErrTokenNotFound, err)
	}
	a, err := s.fsm.State().AllocByID(nil, c.AllocationID)
	if err != nil {
		return nil, err
	}
	if a == nil || a.TerminalStatus() || a.Namespace != c.Namespace || a.JobID != c.JobID {
		return nil, fmt.Errorf("resolve token: %w: the identity's allocation is stopped or gone", nomadlike.ErrTokenNotFound)
	}
	return acl.WorkloadACL(acl.Workload{Namespace: a.Namespace, JobID: a.JobID, Group: a.TaskGroup, Task: c.Task, AllocID: a.ID})
}
