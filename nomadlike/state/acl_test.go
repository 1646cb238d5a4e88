package state

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func aclToken(id, secret string, policies ...string) *nomadlike.ACLToken {
	typ := nomadlike.ACLTokenTypeClient
	if len(policies) == 0 {
		typ = nomadlike.ACLTokenTypeManagement
	}
	return &nomadlike.ACLToken{AccessorID: id, SecretHash: nomadlike.HashACLSecret(secret), Type: typ,
		Policies: policies, CreateTime: time.Unix(1_700_000_000, 0).UTC()}
}

func TestACLPoliciesUpsertDelete(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertACLPolicies(5, []*nomadlike.ACLPolicy{{Name: "a", Rules: `node { policy = "read" }`}, {Name: "b"}}))
	must(t, s.UpsertACLPolicies(7, []*nomadlike.ACLPolicy{{Name: "a", Description: "new"}}))
	p, err := s.ACLPolicyByName(nil, "a")
	must(t, err)
	if p.CreateIndex != 5 || p.ModifyIndex != 7 || p.Description != "new" {
		t.Errorf("policy a = %+v, want CreateIndex 5, ModifyIndex 7, Description new", p)
	}
	if idx, _ := s.Index(TableACLPolicies); idx != 7 {
		t.Errorf("Index(acl_policies) = %d, want 7", idx)
	}
	err = s.DeleteACLPolicies(8, []string{"b", "missing"})
	if !errors.Is(err, nomadlike.ErrNotFound) {
		t.Fatalf("DeleteACLPolicies(missing) = %v, want ErrNotFound", err)
	}
	if p, _ := s.ACLPolicyByName(nil, "b"); p == nil {
		t.Error("a failed delete removed policy b")
	}
	must(t, s.DeleteACLPolicies(9, []string{"b"}))
	all, err := s.ACLPolicies(nil, "")
	must(t, err)
	if len(all) != 1 || all[0].Name != "a" {
		t.Errorf("ACLPolicies = %v, want [a]", all)
	}
}

func TestACLTokensUpsertLookupDelete(t *testing.T) {
	s := newStore(t)
	tok := aclToken("acc-1", "secret-1", "p")
	tok.SecretID = "secret-1" // never stored
	must(t, s.UpsertACLTokens(3, []*nomadlike.ACLToken{tok}))
	got, err := s.ACLTokenBySecretHash(nil, nomadlike.HashACLSecret("secret-1"))
	must(t, err)
	if got == nil || got.AccessorID != "acc-1" || got.SecretID != "" {
		t.Fatalf("ACLTokenBySecretHash = %+v, want acc-1 without SecretID", got)
	}
	// An update keeps the secret hash, creation index and time.
	upd := &nomadlike.ACLToken{AccessorID: "acc-1", Name: "renamed", Type: "client", Policies: []string{"q"}}
	must(t, s.UpsertACLTokens(4, []*nomadlike.ACLToken{upd}))
	got, _ = s.ACLTokenByAccessorID(nil, "acc-1")
	if got.Name != "renamed" || got.SecretHash != tok.SecretHash || got.CreateIndex != 3 || got.ModifyIndex != 4 || !got.CreateTime.Equal(tok.CreateTime) {
		t.Errorf("updated token = %+v", got)
	}
	// A second token with the same secret is refused.
	err = s.UpsertACLTokens(5, []*nomadlike.ACLToken{aclToken("acc-2", "secret-1")})
	if !errors.Is(err, nomadlike.ErrConflict) {
		t.Errorf("UpsertACLTokens(same secret) = %v, want ErrConflict", err)
	}
	err = s.UpsertACLTokens(5, []*nomadlike.ACLToken{{AccessorID: "acc-3", Type: "management"}})
	if !errors.Is(err, nomadlike.ErrValidation) {
		t.Errorf("UpsertACLTokens(no hash) = %v, want ErrValidation", err)
	}
	if err := s.DeleteACLTokens(6, []string{"nope"}); !errors.Is(err, nomadlike.ErrNotFound) {
		t.Errorf("DeleteACLTokens(nope) = %v, want ErrNotFound", err)
	}
	must(t, s.DeleteACLTokens(7, []string{"acc-1"}))
	if got, _ := s.ACLTokenBySecretHash(nil, tok.SecretHash); got != nil {
		t.Errorf("token still found by secret after delete: %+v", got)
	}
}

// TestBootstrapACLTokenOnce: the first bootstrap works, a second fails
// with Nomad's message and the reset index, and that index allows one more.
func TestBootstrapACLTokenOnce(t *testing.T) {
	s := newStore(t)
	must(t, s.BootstrapACLToken(10, 0, aclToken("boot-1", "s1")))
	err := s.BootstrapACLToken(11, 0, aclToken("boot-2", "s2"))
	var done *nomadlike.ACLBootstrapDoneError
	if !errors.As(err, &done) || done.ResetIndex != 10 || err.Error() != "ACL bootstrap already done (reset index: 10)" {
		t.Fatalf("second bootstrap = %v, want ACL bootstrap already done (reset index: 10)", err)
	}
	if got, _ := s.ACLTokenByAccessorID(nil, "boot-2"); got != nil {
		t.Error("a refused bootstrap wrote its token")
	}
	if err := s.BootstrapACLToken(12, 9, aclToken("boot-3", "s3")); !errors.As(err, &done) {
		t.Errorf("bootstrap with a wrong reset index = %v, want refused", err)
	}
	must(t, s.BootstrapACLToken(13, 10, aclToken("boot-4", "s4")))
	if idx, _ := s.ACLBootstrapIndex(); idx != 13 {
		t.Errorf("ACLBootstrapIndex = %d, want 13", idx)
	}
	if err := s.BootstrapACLToken(14, 10, aclToken("boot-5", "s5")); !errors.As(err, &done) || done.ResetIndex != 13 {
		t.Errorf("reuse of a stale reset index = %v, want refused with reset index 13", err)
	}
}

// TestACLTablesPersist: policies, tokens (by accessor and by secret) and
// the bootstrap index survive a dump and restore.
func TestACLTablesPersist(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertACLPolicies(2, []*nomadlike.ACLPolicy{{Name: "ops", Description: "d", Rules: `node { policy = "write" }`}}))
	must(t, s.BootstrapACLToken(3, 0, aclToken("boot", "root-secret")))
	exp := time.Unix(1_800_000_000, 0).UTC()
	tok := aclToken("acc", "client-secret", "ops")
	tok.ExpirationTime = &exp
	must(t, s.UpsertACLTokens(4, []*nomadlike.ACLToken{tok}))

	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("client-secret")) || bytes.Contains(buf.Bytes(), []byte("root-secret")) {
		t.Error("the dump holds a secret")
	}
	r, err := RestoreFrom(&buf)
	must(t, err)
	for _, name := range []string{"ops"} {
		a, _ := s.ACLPolicyByName(nil, name)
		b, _ := r.ACLPolicyByName(nil, name)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("policy %s restored = %+v, want %+v", name, b, a)
		}
	}
	for _, secret := range []string{"root-secret", "client-secret"} {
		a, _ := s.ACLTokenBySecretHash(nil, nomadlike.HashACLSecret(secret))
		b, _ := r.ACLTokenBySecretHash(nil, nomadlike.HashACLSecret(secret))
		if a == nil || b == nil || !reflect.DeepEqual(a, b) {
			t.Errorf("token of %s restored = %+v, want %+v", secret, b, a)
		}
	}
	if idx, _ := r.ACLBootstrapIndex(); idx != 3 {
		t.Errorf("restored ACLBootstrapIndex = %d, want 3", idx)
	}
	p1, t1, _ := s.ACLIndexes()
	p2, t2, _ := r.ACLIndexes()
	if p1 != p2 || t1 != t2 || p1 != 2 || t1 != 4 {
		t.Errorf("ACLIndexes restored = %d,%d, want %d,%d (2,4)", p2, t2, p1, t1)
	}
}
