// Package aclcache resolves ACL tokens on a client agent, which has no
// copy of the ACL tables: it asks the servers, as Nomad's clients do, and
// caches what they answer. A token is read with GET /v1/acl/token/self
// (the caller's secret as the token) and each of its policies with GET
// /v1/acl/policy/:name (the same secret); the compiled ACL is kept for
// token_ttl, and never past the policy_ttl of the policies it was built
// from. The anonymous token (no secret) is the policy named "anonymous",
// or no rights when there is none.
//
// The servers' ACL routes must therefore let a token read itself and the
// policies attached to it, and a request without a token read the policy
// "anonymous" (httpapi registers the policy read with resolvedToken()).
//
// When the servers cannot be reached, an expired entry is used until they
// answer again (a client keeps serving its tasks' logs while the servers
// elect a leader); an unknown token is never cached. The package talks to
// servers only through nomadlike/api and imports no server package.
package aclcache
