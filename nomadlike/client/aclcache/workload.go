package aclcache

import (
	"context"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

// WorkloadSource is the optional capability of a Source that resolves
// workload identities (JWTs): the servers verify the token and answer
// whose it is. APISource has it.
type WorkloadSource interface {
	// WorkloadSelf returns the workload whose identity secret is; an
	// invalid token, or one of a stopped allocation, is an error wrapping
	// nomadlike.ErrTokenNotFound.
	WorkloadSelf(ctx context.Context, secret string) (*acl.Workload, error)
}

// WorkloadSelf reads GET /v1/acl/identity/self with secret as the token.
func (s APISource) WorkloadSelf(ctx context.Context, secret string) (*acl.Workload, error) {
	var w acl.Workload
	if _, err := s.Servers.Query(ctx, "/v1/acl/identity/self", &w, &api.QueryOptions{AuthToken: secret, AllowStale: true}); err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w", nomadlike.ErrTokenNotFound)
		}
		return nil, err
	}
	return &w, nil
}

// resolveWorkload resolves a workload identity through the servers: the
// rights are acl.WorkloadACL's, cached for TokenTTL like a token's (so a
// stopped allocation's identity keeps working on this client for at most
// that long).
func (c *Cache) resolveWorkload(ctx context.Context, secret string) (*acl.ACL, bool, error) {
	ws, ok := c.cfg.Source.(WorkloadSource)
	if !ok || !keyring.LooksLikeJWT(secret) {
		return nil, false, nil
	}
	w, err := ws.WorkloadSelf(ctx, secret)
	if err != nil {
		return nil, true, fmt.Errorf("resolve workload identity: %w", err)
	}
	a, err := acl.WorkloadACL(*w)
	return a, true, err
}
