package agent

import (
	"context"
	"errors"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/aclcache"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi"
)

// errNoACLStore is returned when acl.enabled is set but the server role
// cannot resolve tokens.
var errNoACLStore = errors.New("acl.enabled: this server cannot resolve ACL tokens (no ACL store)")

// aclResolver returns what resolves tokens for this agent's HTTP API and
// client when acl.enabled is set (nil when it is not): the server's own
// ACL store on a server, else a cache that asks the servers
// (client/aclcache) for token_ttl and policy_ttl.
func (a *Agent) aclResolver() (httpapi.ACLResolver, error) {
	c := a.cfg.ACL
	if !c.Enabled {
		return nil, nil
	}
	for _, w := range c.Warnings {
		a.logger.Warn("acl setting has no effect", "setting", w)
	}
	if a.server != nil {
		if r, ok := a.server.(httpapi.ACLResolver); ok {
			return r, nil
		}
		return nil, errNoACLStore
	}
	servers, err := newServerList(a.cfg.Client.Servers, a.resolver, a.serverAPIConfig)
	if err != nil {
		return nil, err
	}
	return aclcache.New(aclcache.Config{
		Source:   aclcache.APISource{Servers: servers},
		TokenTTL: c.TokenTTL, PolicyTTL: c.PolicyTTL,
	}), nil
}

// Query reads path from the first server that answers (aclcache.Querier).
func (l *serverList) Query(ctx context.Context, path string, out any, q *api.QueryOptions) (*api.QueryMeta, error) {
	return try(l, func(c *api.Client) (*api.QueryMeta, error) { return c.Query(ctx, path, out, q) })
}
