package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// errNoIdentityRenewal is the renewal's answer when the servers' API
// cannot fetch allocations by ID.
var errNoIdentityRenewal = errors.New("the servers' API cannot fetch allocations: workload identities are not renewed")

// fetchIdentities fetches the allocation again as this node (its SecretID):
// the servers sign its tasks' identities anew on every fetch, so this is
// how a token with a ttl is renewed (allocrunner.IdentityFetcher).
func (c *Client) fetchIdentities(ctx context.Context, allocID string) (map[string]string, error) {
	w, ok := c.cfg.Servers.(AllocIndexWatcher)
	if !ok {
		return nil, errNoIdentityRenewal
	}
	c.nodeMu.RLock()
	secret := c.node.SecretID
	c.nodeMu.RUnlock()
	allocs, err := w.FetchAllocations(api.WithAuthToken(ctx, secret), []string{allocID}, 0, true)
	if err != nil {
		return nil, err
	}
	if len(allocs) == 0 {
		return nil, fmt.Errorf("renew identity of allocation %s: %w", allocID, nomadlike.ErrNotFound)
	}
	return allocs[0].SignedIdentities, nil
}
