package aclcache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
)

// Token is what the servers say about a token (the fields of Nomad's
// ACLToken the client needs).
type Token struct {
	AccessorID string `json:"AccessorID"`
	// Type is "management" or "client".
	Type           string     `json:"Type"`
	Policies       []string   `json:"Policies"`
	ExpirationTime *time.Time `json:"ExpirationTime,omitempty"`
}

// Policy is a named policy's source (Nomad's ACLPolicy).
type Policy struct {
	Name  string `json:"Name"`
	Rules string `json:"Rules"`
}

// Source reads tokens and policies from the servers.
type Source interface {
	// TokenSelf returns the token whose secret is secret; an unknown or
	// expired one is an error wrapping nomadlike.ErrTokenNotFound.
	TokenSelf(ctx context.Context, secret string) (*Token, error)
	// Policy returns the named policy, read with secret as the token; a
	// missing one (or one the token may not read) is an error wrapping
	// nomadlike.ErrNotFound.
	Policy(ctx context.Context, name, secret string) (*Policy, error)
}

// AnonymousPolicy is the policy a request without a token gets.
const AnonymousPolicy = "anonymous"

// Config configures a Cache; zero durations take the defaults.
type Config struct {
	Source Source
	// TokenTTL is how long a resolved token is used before it is read
	// again (30s, Nomad's acl.token_ttl): a revoked token keeps working on
	// this client for at most this long.
	TokenTTL time.Duration
	// PolicyTTL is the same for policies (30s, acl.policy_ttl).
	PolicyTTL time.Duration
	// Timeout bounds one resolution's requests to the servers (10s).
	Timeout time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Default TTLs, as Nomad's.
const (
	DefaultTokenTTL  = 30 * time.Second
	DefaultPolicyTTL = 30 * time.Second
)

type tokenEntry struct {
	acl     *acl.ACL
	expires time.Time
}

type policyEntry struct {
	policy  *acl.Policy // nil: no such policy
	expires time.Time
}

// Cache resolves secrets to compiled ACLs through Source, caching them.
// It satisfies httpapi.ACLResolver and client.ACLResolver. Safe for
// concurrent use.
type Cache struct {
	cfg      Config
	mu       sync.Mutex
	tokens   map[string]tokenEntry
	policies map[string]policyEntry
}

// New returns a cache over cfg.Source.
func New(cfg Config) *Cache {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.PolicyTTL <= 0 {
		cfg.PolicyTTL = DefaultPolicyTTL
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{cfg: cfg, tokens: map[string]tokenEntry{}, policies: map[string]policyEntry{}}
}

// ResolveToken returns the ACL of the token whose secret is secret ("" is
// anonymous). An unknown or expired token is an error wrapping
// nomadlike.ErrTokenNotFound; when the servers cannot answer, the last
// known ACL of the token is returned, else the error.
func (c *Cache) ResolveToken(secret string) (*acl.ACL, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	e, ok := c.tokens[secret]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.acl, nil
	}
	a, expires, err := c.resolve(secret, now)
	switch {
	case errors.Is(err, nomadlike.ErrTokenNotFound):
		c.mu.Lock()
		delete(c.tokens, secret)
		c.mu.Unlock()
		return nil, err
	case err != nil && ok:
		return e.acl, nil // servers unreachable: the last known rights
	case err != nil:
		return nil, err
	}
	c.mu.Lock()
	c.tokens[secret] = tokenEntry{acl: a, expires: expires}
	c.mu.Unlock()
	return a, nil
}

// resolve reads the token and its policies and compiles them; expires is
// when the result must be read again.
func (c *Cache) resolve(secret string, now time.Time) (*acl.ACL, time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	expires := now.Add(c.cfg.TokenTTL)
	names := []string{AnonymousPolicy}
	if a, ok, err := c.resolveWorkload(ctx, secret); ok { // workload identity (workload.go)
		return a, expires, err
	}
	if secret != "" {
		tok, err := c.cfg.Source.TokenSelf(ctx, secret)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("resolve token: %w", err)
		}
		if tok.ExpirationTime != nil && !tok.ExpirationTime.After(now) {
			return nil, time.Time{}, fmt.Errorf("token %s expired at %s: %w", tok.AccessorID, tok.ExpirationTime.Format(time.RFC3339), nomadlike.ErrTokenNotFound)
		}
		if tok.ExpirationTime != nil && tok.ExpirationTime.Before(expires) {
			expires = *tok.ExpirationTime
		}
		if tok.Type == "management" {
			return acl.ManagementACL(), expires, nil
		}
		names = append([]string(nil), tok.Policies...)
		sort.Strings(names)
	}
	var pols []*acl.Policy
	for _, name := range names {
		p, pexp, err := c.policy(ctx, name, secret, now)
		if err != nil {
			return nil, time.Time{}, err
		}
		if pexp.Before(expires) {
			expires = pexp
		}
		if p != nil {
			pols = append(pols, p)
		}
	}
	a, err := acl.Compile(pols...)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("compile the token's policies: %w", err)
	}
	return a, expires, nil
}

// policy returns the parsed policy name (nil when it does not exist) and
// until when it may be used.
func (c *Cache) policy(ctx context.Context, name, secret string, now time.Time) (*acl.Policy, time.Time, error) {
	c.mu.Lock()
	e, ok := c.policies[name]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.policy, e.expires, nil
	}
	src, err := c.cfg.Source.Policy(ctx, name, secret)
	var p *acl.Policy
	switch {
	case errors.Is(err, nomadlike.ErrNotFound):
		// Nomad ignores a token's policies that do not exist.
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("read policy %q: %w", name, err)
	default:
		if p, err = acl.Parse(src.Name, []byte(src.Rules)); err != nil {
			return nil, time.Time{}, fmt.Errorf("policy %q from the servers: %w", name, err)
		}
	}
	e = policyEntry{policy: p, expires: now.Add(c.cfg.PolicyTTL)}
	if secret != "" && p == nil {
		// Not cached: another token may be allowed to read it.
		return nil, e.expires, nil
	}
	c.mu.Lock()
	c.policies[name] = e
	c.mu.Unlock()
	return p, e.expires, nil
}
