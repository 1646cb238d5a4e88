package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ACLPolicies is the /v1/acl/policies part of the API.
type ACLPolicies struct{ c *Client }

// ACLPolicies returns the ACL policy endpoints.
func (c *Client) ACLPolicies() *ACLPolicies { return &ACLPolicies{c: c} }

// List returns the policies (name, description, indexes), by name.
func (a *ACLPolicies) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.ACLPolicyListStub, *QueryMeta, error) {
	var out []*nomadlike.ACLPolicyListStub
	qm, err := a.c.Query(ctx, "/v1/acl/policies", &out, q)
	return out, qm, err
}

// Info returns one policy with its rules.
func (a *ACLPolicies) Info(ctx context.Context, name string, q *QueryOptions) (*nomadlike.ACLPolicy, *QueryMeta, error) {
	if name == "" {
		return nil, nil, errors.New("missing policy name")
	}
	var out nomadlike.ACLPolicy
	qm, err := a.c.Query(ctx, "/v1/acl/policy/"+url.PathEscape(name), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Upsert creates or replaces the policy named policy.Name.
func (a *ACLPolicies) Upsert(ctx context.Context, policy *nomadlike.ACLPolicy, q *QueryOptions) (*WriteMeta, error) {
	if policy == nil || policy.Name == "" {
		return nil, errors.New("missing policy name")
	}
	return a.c.Write(ctx, http.MethodPost, "/v1/acl/policy/"+url.PathEscape(policy.Name), policy, nil, q)
}

// Delete deletes a policy.
func (a *ACLPolicies) Delete(ctx context.Context, name string, q *QueryOptions) (*WriteMeta, error) {
	if name == "" {
		return nil, errors.New("missing policy name")
	}
	return a.c.Write(ctx, http.MethodDelete, "/v1/acl/policy/"+url.PathEscape(name), nil, nil, q)
}

// ACLTokens is the /v1/acl/tokens part of the API.
type ACLTokens struct{ c *Client }

// ACLTokens returns the ACL token endpoints.
func (c *Client) ACLTokens() *ACLTokens { return &ACLTokens{c: c} }

// Bootstrap creates the first management token, with secret as its
// SecretID when not empty. The answer is the only time the SecretID is shown.
func (a *ACLTokens) Bootstrap(ctx context.Context, secret string, q *QueryOptions) (*nomadlike.ACLToken, *WriteMeta, error) {
	var in any
	if secret != "" {
		in = map[string]string{"BootstrapSecret": secret}
	}
	var out nomadlike.ACLToken
	wm, err := a.c.Write(ctx, http.MethodPost, "/v1/acl/bootstrap", in, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// List returns the tokens, by accessor ID.
func (a *ACLTokens) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.ACLTokenListStub, *QueryMeta, error) {
	var out []*nomadlike.ACLTokenListStub
	qm, err := a.c.Query(ctx, "/v1/acl/tokens", &out, q)
	return out, qm, err
}

// Create creates a token; the server makes its AccessorID and SecretID.
// The answer is the only time the SecretID is shown.
func (a *ACLTokens) Create(ctx context.Context, token *nomadlike.ACLToken, q *QueryOptions) (*nomadlike.ACLToken, *WriteMeta, error) {
	if token == nil || token.AccessorID != "" {
		return nil, nil, errors.New("cannot specify the accessor ID of a new token")
	}
	var out nomadlike.ACLToken
	wm, err := a.c.Write(ctx, http.MethodPost, "/v1/acl/token", token, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Update changes a token's name, type and policies.
func (a *ACLTokens) Update(ctx context.Context, token *nomadlike.ACLToken, q *QueryOptions) (*nomadlike.ACLToken, *WriteMeta, error) {
	if token == nil || token.AccessorID == "" {
		return nil, nil, errors.New("missing accessor ID")
	}
	var out nomadlike.ACLToken
	wm, err := a.c.Write(ctx, http.MethodPost, "/v1/acl/token/"+url.PathEscape(token.AccessorID), token, &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Delete deletes a token.
func (a *ACLTokens) Delete(ctx context.Context, accessorID string, q *QueryOptions) (*WriteMeta, error) {
	if accessorID == "" {
		return nil, errors.New("missing accessor ID")
	}
	return a.c.Write(ctx, http.MethodDelete, "/v1/acl/token/"+url.PathEscape(accessorID), nil, nil, q)
}

// Info returns a token (without its SecretID, which the servers do not keep).
func (a *ACLTokens) Info(ctx context.Context, accessorID string, q *QueryOptions) (*nomadlike.ACLToken, *QueryMeta, error) {
	if accessorID == "" {
		return nil, nil, errors.New("missing accessor ID")
	}
	var out nomadlike.ACLToken
	qm, err := a.c.Query(ctx, "/v1/acl/token/"+url.PathEscape(accessorID), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Self returns the token the request carries (Config.Token or
// QueryOptions.AuthToken).
func (a *ACLTokens) Self(ctx context.Context, q *QueryOptions) (*nomadlike.ACLToken, *QueryMeta, error) {
	var out nomadlike.ACLToken
	qm, err := a.c.Query(ctx, "/v1/acl/token/self", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}
