package httpapi

import "github.com/nomadlike/nomadlike/nomadlike/acl"

// ACLResolver turns the secret a request carries (X-Nomad-Token or
// Authorization: Bearer) into the rights it grants. The handler's Config
// has one when ACLs are enabled; nil means ACLs are off and every request
// is allowed, as before.
//
// On a server the resolver reads the replicated token and policy tables
// (with a cache, so a checked request costs microseconds); on a client-only
// agent it asks the servers and caches the answer for token_ttl/policy_ttl.
type ACLResolver interface {
	// ResolveToken returns the compiled ACL of the token whose secret is
	// secretID. An empty secretID is the anonymous token: the rights of
	// the policy named "anonymous" if an operator wrote one, else none.
	// It returns an error wrapping nomadlike.ErrTokenNotFound for an
	// unknown or expired secret (HTTP 403); other errors are 500s. Never
	// a nil ACL with a nil error. Safe for concurrent use.
	ResolveToken(secretID string) (*acl.ACL, error)
}
