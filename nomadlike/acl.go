package nomadlike

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// ACL token types, as Nomad names them.
const (
	ACLTokenTypeClient     = "client"
	ACLTokenTypeManagement = "management"
)

// AnonymousPolicyName is the policy whose rights requests without a token
// get, when an operator wrote one.
const AnonymousPolicyName = "anonymous"

// ACLBootstrapDoneError is returned by a bootstrap after the first: ACLs
// were bootstrapped at ResetIndex, and only writing that index to the
// servers' acl-bootstrap-reset file allows one more. It reads as Nomad's
// message and is a validation error (HTTP 400, as Nomad answers).
type ACLBootstrapDoneError struct{ ResetIndex uint64 }

func (e *ACLBootstrapDoneError) Error() string {
	return fmt.Sprintf("ACL bootstrap already done (reset index: %d)", e.ResetIndex)
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ACLBootstrapDoneError) Is(target error) bool { return target == ErrValidation }

// ACLPolicy is a named set of ACL rules (HCL, see package acl). Rules are
// parsed when the policy is written, so a stored policy always parses.
type ACLPolicy struct {
	Name        string  `json:"Name"`
	Description string  `json:"Description"`
	Rules       string  `json:"Rules"`
	JobACL      *JobACL `json:"JobACL,omitempty"`
	CreateIndex uint64  `json:"CreateIndex"`
	ModifyIndex uint64  `json:"ModifyIndex"`
}

// JobACL is Nomad's attachment of a policy to a job's workload identity.
// It is accepted and kept, and grants nothing here (workload identities
// are not implemented).
type JobACL struct {
	Namespace string `json:"Namespace"`
	JobID     string `json:"JobID"`
	Group     string `json:"Group"`
	Task      string `json:"Task"`
}

// ACLPolicyListStub is a policy in GET /v1/acl/policies.
type ACLPolicyListStub struct {
	Name        string  `json:"Name"`
	Description string  `json:"Description"`
	JobACL      *JobACL `json:"JobACL,omitempty"`
	CreateIndex uint64  `json:"CreateIndex"`
	ModifyIndex uint64  `json:"ModifyIndex"`
}

// Stub returns the list form of p.
func (p *ACLPolicy) Stub() *ACLPolicyListStub {
	return &ACLPolicyListStub{Name: p.Name, Description: p.Description, JobACL: p.JobACL,
		CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex}
}

// ACLTokenRoleLink names an ACL role of a token (Nomad's shape; roles are
// not implemented, and a token naming one is refused).
type ACLTokenRoleLink struct {
	ID   string `json:"ID"`
	Name string `json:"Name"`
}

// ACLToken is an ACL token. The servers keep only SecretHash, the SHA-256
// of the secret: SecretID is set only in the answer to the request that
// created the token (create or bootstrap) and is empty everywhere else,
// in the state store, raft log and snapshots included.
type ACLToken struct {
	AccessorID string              `json:"AccessorID"`
	SecretID   string              `json:"SecretID"`
	Name       string              `json:"Name"`
	Type       string              `json:"Type"`
	Policies   []string            `json:"Policies"`
	Roles      []*ACLTokenRoleLink `json:"Roles"`
	Global     bool                `json:"Global"`
	CreateTime time.Time           `json:"CreateTime"`
	// ExpirationTime is when the token stops resolving (nil: never).
	ExpirationTime *time.Time `json:"ExpirationTime,omitempty"`
	// ExpirationTTL sets ExpirationTime to CreateTime plus it at
	// creation. On the wire it is a duration string ("1h") or a number
	// of nanoseconds, as Nomad's api package writes and reads it.
	ExpirationTTL time.Duration `json:"ExpirationTTL,omitempty"`
	// SecretHash is the hex SHA-256 of the secret. It is stored and
	// replicated, never sent to API clients (see Public).
	SecretHash  string `json:"SecretHash,omitempty"`
	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
}

// MarshalJSON writes ExpirationTTL as a duration string ("1h0m0s", or ""
// when zero), as Nomad does.
func (t *ACLToken) MarshalJSON() ([]byte, error) {
	type plain ACLToken
	out := struct {
		ExpirationTTL string `json:"ExpirationTTL"`
		*plain
	}{plain: (*plain)(t)}
	if t.ExpirationTTL != 0 {
		out.ExpirationTTL = t.ExpirationTTL.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads ExpirationTTL as a duration string or a number of
// nanoseconds, as Nomad does.
func (t *ACLToken) UnmarshalJSON(b []byte) error {
	type plain ACLToken
	in := struct {
		ExpirationTTL json.RawMessage `json:"ExpirationTTL"`
		*plain
	}{plain: (*plain)(t)}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	t.ExpirationTTL = 0
	raw := in.ExpirationTTL
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("ExpirationTTL: %q is not a duration like \"1h\"", clip(s))
		}
		t.ExpirationTTL = d
		return nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("ExpirationTTL: want a duration string or a number of nanoseconds")
	}
	t.ExpirationTTL = time.Duration(n)
	return nil
}

// ACLTokenListStub is a token in GET /v1/acl/tokens.
type ACLTokenListStub struct {
	AccessorID     string              `json:"AccessorID"`
	Name           string              `json:"Name"`
	Type           string              `json:"Type"`
	Policies       []string            `json:"Policies"`
	Roles          []*ACLTokenRoleLink `json:"Roles"`
	Global         bool                `json:"Global"`
	CreateTime     time.Time           `json:"CreateTime"`
	ExpirationTime *time.Time          `json:"ExpirationTime,omitempty"`
	CreateIndex    uint64              `json:"CreateIndex"`
	ModifyIndex    uint64              `json:"ModifyIndex"`
}

// HashACLSecret returns the hex SHA-256 of an ACL secret, the form the
// servers keep.
func HashACLSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Public returns a copy of t without its secret hash, for API answers.
func (t *ACLToken) Public() *ACLToken {
	c := t.Copy()
	c.SecretHash = ""
	return c
}

// Copy returns a deep copy of t.
func (t *ACLToken) Copy() *ACLToken {
	if t == nil {
		return nil
	}
	c := *t
	c.Policies = slices.Clone(t.Policies)
	if t.Roles != nil {
		c.Roles = make([]*ACLTokenRoleLink, len(t.Roles))
		for i, r := range t.Roles {
			if r != nil {
				rc := *r
				c.Roles[i] = &rc
			}
		}
	}
	if t.ExpirationTime != nil {
		e := *t.ExpirationTime
		c.ExpirationTime = &e
	}
	return &c
}

// Stub returns the list form of t.
func (t *ACLToken) Stub() *ACLTokenListStub {
	c := t.Copy()
	return &ACLTokenListStub{AccessorID: c.AccessorID, Name: c.Name, Type: c.Type, Policies: c.Policies,
		Roles: c.Roles, Global: c.Global, CreateTime: c.CreateTime, ExpirationTime: c.ExpirationTime,
		CreateIndex: c.CreateIndex, ModifyIndex: c.ModifyIndex}
}

// IsExpired reports whether the token has an expiration time at or before now.
func (t *ACLToken) IsExpired(now time.Time) bool {
	return t.ExpirationTime != nil && !now.Before(*t.ExpirationTime)
}

// IsManagement reports whether the token is a management token.
func (t *ACLToken) IsManagement() bool { return t.Type == ACLTokenTypeManagement }

var aclPolicyName = regexp.MustCompile(`^[a-zA-Z0-9-]{1,128}$`)

// ValidACLPolicyName reports whether name is a valid policy name: 1 to 128
// letters, digits and dashes, as Nomad allows.
func ValidACLPolicyName(name string) bool { return aclPolicyName.MatchString(name) }

// Maximum lengths, as Nomad's.
const (
	maxACLPolicyDescription = 256
	maxACLTokenName         = 256
)

// Validate checks the policy's name and description; the rules are checked
// by the server, which parses them. Errors are *ValidationError with
// field paths.
func (p *ACLPolicy) Validate() error {
	v := newValidator()
	if !ValidACLPolicyName(p.Name) {
		v.fail("Name", "invalid policy name %q: use 1 to 128 letters, digits and dashes", clip(p.Name))
	}
	if len(p.Description) > maxACLPolicyDescription {
		v.fail("Description", "is %d characters long, at most %d allowed", len(p.Description), maxACLPolicyDescription)
	}
	return v.err()
}

// Validate checks the token's name, type, policies and roles: a
// management token has no policies, a client token names at least one.
// Whether the policies exist is for the server to check. Errors are
// *ValidationError with field paths.
func (t *ACLToken) Validate() error {
	v := newValidator()
	if len(t.Name) > maxACLTokenName {
		v.fail("Name", "is %d characters long, at most %d allowed", len(t.Name), maxACLTokenName)
	}
	switch t.Type {
	case ACLTokenTypeClient:
		if len(t.Policies) == 0 {
			v.fail("Policies", "a client token needs at least one policy")
		}
	case ACLTokenTypeManagement:
		if len(t.Policies) != 0 {
			v.fail("Policies", "a management token cannot have policies")
		}
	default:
		v.fail("Type", "token type must be %q or %q, not %q", ACLTokenTypeClient, ACLTokenTypeManagement, clip(t.Type))
	}
	for i, p := range t.Policies {
		if !ValidACLPolicyName(p) {
			v.at("Policies").fail("["+itoa(i)+"]", "invalid policy name %q", clip(p))
		}
	}
	if len(t.Roles) != 0 {
		v.fail("Roles", "ACL roles are not supported; name policies instead")
	}
	if t.ExpirationTTL < 0 {
		v.fail("ExpirationTTL", "must not be negative")
	}
	if t.ExpirationTTL > 0 && t.ExpirationTime != nil {
		v.fail("ExpirationTTL", "set either ExpirationTTL or ExpirationTime, not both")
	}
	return v.err()
}

// clip shortens user input quoted in an error.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
