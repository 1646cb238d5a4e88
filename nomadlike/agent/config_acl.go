package agent

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// ACLConfig is Nomad's acl { } block (issue #11). With Enabled false no
// HTTP route checks a token and everything behaves as before.
type ACLConfig struct {
	// Enabled turns ACL enforcement on: every HTTP route of the servers
	// and the client agents checks the caller's token (X-Nomad-Token or
	// "Authorization: Bearer"); no token is the anonymous token. Off by
	// default. Every agent of a cluster must agree.
	Enabled bool
	// TokenTTL is how long a client agent caches a resolved token (30s):
	// a revoked token keeps working on a client for at most this long;
	// shorter means more requests to the servers.
	TokenTTL time.Duration
	// PolicyTTL is the same for policies (30s).
	PolicyTTL time.Duration
	// RoleTTL, TokenMinExpirationTTL and TokenMaxExpirationTTL are
	// Nomad's settings for roles and token expiry; they are parsed and
	// validated for the ACL store (1m and 24h by default for the
	// expiration bounds).
	RoleTTL               time.Duration
	TokenMinExpirationTTL time.Duration
	TokenMaxExpirationTTL time.Duration
	// Warnings name the settings accepted for Nomad compatibility that
	// have no effect here (file:line:col: setting: why); the agent logs
	// them at start.
	Warnings []string
}

// Defaults of the acl block, as Nomad's.
const (
	DefaultACLTokenTTL              = 30 * time.Second
	DefaultACLPolicyTTL             = 30 * time.Second
	DefaultACLRoleTTL               = 30 * time.Second
	DefaultACLTokenMinExpirationTTL = time.Minute
	DefaultACLTokenMaxExpirationTTL = 24 * time.Hour
)

// defaultACLConfig is the acl block's defaults (ACLs off).
func defaultACLConfig() ACLConfig {
	return ACLConfig{
		TokenTTL: DefaultACLTokenTTL, PolicyTTL: DefaultACLPolicyTTL, RoleTTL: DefaultACLRoleTTL,
		TokenMinExpirationTTL: DefaultACLTokenMinExpirationTTL, TokenMaxExpirationTTL: DefaultACLTokenMaxExpirationTTL,
	}
}

// fileACL is the acl block as written. Unknown keys are errors at their
// file:line:col.
type fileACL struct {
	Enabled          *bool     `hcl:"enabled,optional"`
	TokenTTL         *string   `hcl:"token_ttl,optional"`
	TokenTTLRange    hcl.Range `hcl:"token_ttl,attr_range"`
	PolicyTTL        *string   `hcl:"policy_ttl,optional"`
	PolicyTTLRange   hcl.Range `hcl:"policy_ttl,attr_range"`
	RoleTTL          *string   `hcl:"role_ttl,optional"`
	RoleTTLRange     hcl.Range `hcl:"role_ttl,attr_range"`
	TokenMinExp      *string   `hcl:"token_min_expiration_ttl,optional"`
	TokenMinExpRange hcl.Range `hcl:"token_min_expiration_ttl,attr_range"`
	TokenMaxExp      *string   `hcl:"token_max_expiration_ttl,optional"`
	TokenMaxExpRange hcl.Range `hcl:"token_max_expiration_ttl,attr_range"`
	// Nomad's cross-region replication; nomadlike has one region.
	ReplicationToken      *string   `hcl:"replication_token,optional"`
	ReplicationTokenRange hcl.Range `hcl:"replication_token,attr_range"`
}

// applyACL sets dst from what f sets.
func applyACL(dst *ACLConfig, f *fileACL) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if f.Enabled != nil {
		dst.Enabled = *f.Enabled
	}
	diags = append(diags, setDuration(&dst.TokenTTL, f.TokenTTL, f.TokenTTLRange, "acl.token_ttl")...)
	diags = append(diags, setDuration(&dst.PolicyTTL, f.PolicyTTL, f.PolicyTTLRange, "acl.policy_ttl")...)
	diags = append(diags, setDuration(&dst.RoleTTL, f.RoleTTL, f.RoleTTLRange, "acl.role_ttl")...)
	diags = append(diags, setDuration(&dst.TokenMinExpirationTTL, f.TokenMinExp, f.TokenMinExpRange, "acl.token_min_expiration_ttl")...)
	diags = append(diags, setDuration(&dst.TokenMaxExpirationTTL, f.TokenMaxExp, f.TokenMaxExpRange, "acl.token_max_expiration_ttl")...)
	if (f.TokenMinExp != nil || f.TokenMaxExp != nil) && dst.TokenMinExpirationTTL > dst.TokenMaxExpirationTTL {
		rng := f.TokenMaxExpRange
		if f.TokenMaxExp == nil {
			rng = f.TokenMinExpRange
		}
		diags = append(diags, diagAt(rng, "Invalid acl.token_max_expiration_ttl",
			fmt.Sprintf("token_min_expiration_ttl (%s) must not exceed token_max_expiration_ttl (%s).", dst.TokenMinExpirationTTL, dst.TokenMaxExpirationTTL)))
	}
	warn := func(set bool, rng hcl.Range, name, why string) {
		if set {
			dst.Warnings = append(dst.Warnings, fmt.Sprintf("%s:%d:%d: acl.%s has no effect: %s", rng.Filename, rng.Start.Line, rng.Start.Column, name, why))
		}
	}
	warn(f.RoleTTL != nil, f.RoleTTLRange, "role_ttl", "nomadlike has no ACL roles")
	warn(f.ReplicationToken != nil, f.ReplicationTokenRange, "replication_token", "nomadlike has a single region and replicates nothing across regions")
	return diags
}
