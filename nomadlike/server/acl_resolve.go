package server

import (
	"crypto/sha256"
	"fmt"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// aclCacheMax bounds the compiled-ACL cache; when full it is emptied, so
// requests with made-up secrets cannot grow it without bound.
const aclCacheMax = 4096

// aclCache maps secret hashes to compiled ACLs, for as long as the ACL
// tables do not change: it is valid for one store (a restore replaces it)
// and until the watch channels of the two tables' index entries close
// (state.Reader.ACLWatch), when it is emptied. The zero value is ready.
// Safe for concurrent use.
type aclCache struct {
	mu      sync.RWMutex
	gen     aclGen
	entries map[[sha256.Size]byte]aclCacheEntry
}

// aclGen is what a cache generation is valid for.
type aclGen struct {
	store                *state.StateStore
	policiesCh, tokensCh <-chan struct{}
}

// current reports whether nothing the generation depends on changed.
func (g aclGen) current(st *state.StateStore) bool {
	return g.store == st && g.store != nil && !closed(g.policiesCh) && !closed(g.tokensCh)
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// aclCacheEntry is a resolved secret: its ACL, or notFound, and the
// token's expiry (checked on every hit).
type aclCacheEntry struct {
	acl      *acl.ACL
	expires  *time.Time
	notFound bool
}

func (c *aclCache) get(st *state.StateStore, key [sha256.Size]byte) (aclCacheEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.gen.current(st) {
		return aclCacheEntry{}, false
	}
	e, ok := c.entries[key]
	return e, ok
}

// put caches e, resolved under generation g (whose channels were taken
// before the read). A result of a generation that already ended is not
// kept.
func (c *aclCache) put(g aclGen, key [sha256.Size]byte, e aclCacheEntry) {
	if !g.current(g.store) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.gen.current(g.store) || c.entries == nil || len(c.entries) >= aclCacheMax {
		c.gen = g
		c.entries = make(map[[sha256.Size]byte]aclCacheEntry)
	}
	if c.gen != g {
		return // another current generation: keep to it
	}
	c.entries[key] = e
}

// ResolveToken returns the compiled ACL of the token whose secret is
// secretID (httpapi.ACLResolver): a management token gets
// acl.ManagementACL, a client token its policies compiled (policies it
// names that were deleted grant nothing), and the empty secret the
// "anonymous" policy if one exists, else no rights. An unknown or expired
// secret fails with an error wrapping nomadlike.ErrTokenNotFound. Results
// are cached until the next write to the ACL tables, so a repeated lookup
// costs a hash, two channel polls and a map read. It works on followers too (it reads
// the local replica). Never a nil ACL with a nil error.
func (s *Server) ResolveToken(secretID string) (*acl.ACL, error) {
	if keyring.LooksLikeJWT(secretID) { // workload identity (identity.go)
		return s.resolveWorkload(secretID)
	}
	st := s.fsm.State()
	key := sha256.Sum256([]byte(secretID))
	e, ok := s.aclCache.get(st, key)
	if !ok {
		g := aclGen{store: st}
		var err error
		if g.policiesCh, g.tokensCh, err = st.ACLWatch(); err != nil {
			return nil, err
		}
		if e, err = resolveUncached(st, secretID, key); err != nil {
			return nil, err
		}
		s.aclCache.put(g, key, e)
	}
	if e.notFound || (e.expires != nil && !s.cfg.Clock.Now().Before(*e.expires)) {
		return nil, fmt.Errorf("resolve token: %w", nomadlike.ErrTokenNotFound)
	}
	return e.acl, nil
}

// resolveUncached resolves a secret from the store; key is its SHA-256.
func resolveUncached(st *state.StateStore, secretID string, key [sha256.Size]byte) (aclCacheEntry, error) {
	if secretID == "" {
		a, err := compilePolicies(st, []string{nomadlike.AnonymousPolicyName})
		return aclCacheEntry{acl: a}, err
	}
	tok, err := st.ACLTokenBySecretHash(nil, fmt.Sprintf("%x", key))
	if err != nil {
		return aclCacheEntry{}, err
	}
	if tok == nil {
		return aclCacheEntry{notFound: true}, nil
	}
	e := aclCacheEntry{expires: tok.ExpirationTime}
	if tok.IsManagement() {
		e.acl = acl.ManagementACL()
		return e, nil
	}
	e.acl, err = compilePolicies(st, tok.Policies)
	return e, err
}

// compilePolicies compiles the named policies that exist (none: an ACL
// with no rights).
func compilePolicies(st *state.StateStore, names []string) (*acl.ACL, error) {
	var parsed []*acl.Policy
	for _, n := range names {
		p, err := st.ACLPolicyByName(nil, n)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		pol, err := acl.Parse(p.Name, []byte(p.Rules))
		if err != nil {
			return nil, fmt.Errorf("stored ACL policy %q: %w", p.Name, err)
		}
		parsed = append(parsed, pol)
	}
	a, err := acl.Compile(parsed...)
	if err != nil {
		return nil, fmt.Errorf("compile ACL policies: %w", err)
	}
	return a, nil
}

// ACLTokenBySecret returns the token whose secret is secretID, without
// its secret hash, for GET /v1/acl/token/self. An empty, unknown or
// expired secret fails with an error wrapping nomadlike.ErrTokenNotFound.
func (s *Server) ACLTokenBySecret(secretID string) (*nomadlike.ACLToken, error) {
	if secretID == "" {
		return nil, fmt.Errorf("token self: no token given: %w", nomadlike.ErrTokenNotFound)
	}
	tok, err := s.fsm.State().ACLTokenBySecretHash(nil, nomadlike.HashACLSecret(secretID))
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.IsExpired(s.cfg.Clock.Now()) {
		return nil, fmt.Errorf("token self: %w", nomadlike.ErrTokenNotFound)
	}
	return tok.Public(), nil
}
