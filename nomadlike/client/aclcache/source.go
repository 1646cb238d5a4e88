package aclcache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Querier is how APISource reaches the servers; *api.Client has it.
type Querier interface {
	Query(ctx context.Context, path string, out any, q *api.QueryOptions) (*api.QueryMeta, error)
}

// APISource is a Source over the servers' HTTP API.
type APISource struct {
	Servers Querier
}

// TokenSelf reads GET /v1/acl/token/self with secret as the token; a 403
// or 404 means the token is unknown.
func (s APISource) TokenSelf(ctx context.Context, secret string) (*Token, error) {
	var t Token
	if _, err := s.Servers.Query(ctx, "/v1/acl/token/self", &t, &api.QueryOptions{AuthToken: secret, AllowStale: true}); err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w", nomadlike.ErrTokenNotFound)
		}
		return nil, err
	}
	return &t, nil
}

// Policy reads GET /v1/acl/policy/:name with secret as the token; a 403 or
// 404 means the policy is not there for this token.
func (s APISource) Policy(ctx context.Context, name, secret string) (*Policy, error) {
	var p Policy
	if _, err := s.Servers.Query(ctx, "/v1/acl/policy/"+url.PathEscape(name), &p, &api.QueryOptions{AuthToken: secret, AllowStale: true}); err != nil {
		if refused(err) {
			return nil, fmt.Errorf("policy %q: %w", name, nomadlike.ErrNotFound)
		}
		return nil, err
	}
	return &p, nil
}

func refused(err error) bool {
	var se *api.StatusError
	return errors.As(err, &se) && (se.Code == http.StatusForbidden || se.Code == http.StatusNotFound)
}
