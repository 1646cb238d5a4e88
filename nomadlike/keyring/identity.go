package keyring

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidIdentity is wrapped by every reason Verify refuses a token.
var ErrInvalidIdentity = errors.New("invalid workload identity")

// DefaultAudience is the audience of the default identity, as Nomad's.
const DefaultAudience = "nomadproject.io"

// IdentityClaims are the claims of a workload identity, with Nomad's
// names. Subject is "global:NAMESPACE:JOB:GROUP:TASK:IDENTITY".
type IdentityClaims struct {
	Namespace    string `json:"nomad_namespace"`
	JobID        string `json:"nomad_job_id"`
	AllocationID string `json:"nomad_allocation_id"`
	Task         string `json:"nomad_task"`
	jwt.Claims
}

// Subject builds Nomad's subject claim.
func Subject(region, ns, job, group, task, identity string) string {
	return strings.Join([]string{region, ns, job, group, task, identity}, ":")
}

// Sign signs claims with k's Ed25519 key (JWS, alg EdDSA, kid = KeyID).
func Sign(k *Key, c *IdentityClaims) (string, error) {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k.signing},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.Meta.KeyID))
	if err != nil {
		return "", fmt.Errorf("identity signer: %w", err)
	}
	return jwt.Signed(sig).Claims(c).Serialize()
}

// LooksLikeJWT reports whether a secret has the shape of a JWT (three
// dot-separated parts), as opposed to an ACL token's UUID.
func LooksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 && len(s) > 20 }

// Verify checks a token's signature against the ring's key named by its
// kid, and its time claims at now (one minute of leeway), and returns the
// claims. Every failure wraps ErrInvalidIdentity.
func Verify(r *Ring, token string, now time.Time) (*IdentityClaims, error) {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidIdentity, err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, fmt.Errorf("%w: no key ID", ErrInvalidIdentity)
	}
	k, err := r.Get(tok.Headers[0].KeyID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidIdentity, err)
	}
	var c IdentityClaims
	if err := tok.Claims(k.PublicKey(), &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidIdentity, err)
	}
	if err := c.Claims.ValidateWithLeeway(jwt.Expected{Time: now}, time.Minute); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidIdentity, err)
	}
	if c.AllocationID == "" || c.JobID == "" || c.Namespace == "" {
		return nil, fmt.Errorf("%w: missing nomad_* claims", ErrInvalidIdentity)
	}
	return &c, nil
}

// JWKS is the public key set of the ring's keys, for
// /.well-known/jwks.json.
func JWKS(r *Ring) jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range r.Keys() {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: ed25519.PublicKey(k.PublicKey()), KeyID: k.Meta.KeyID,
			Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	return set
}
