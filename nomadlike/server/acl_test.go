package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// aclServer starts a dev server with a data directory (for the bootstrap
// reset file) and the clock given (nil: the wall clock), and waits until
// it leads.
func aclServer(t *testing.T, clock Clock) *Server {
	t.Helper()
	cfg := testConfig(t)
	cfg.DataDir = t.TempDir()
	cfg.NumSchedulers = 0
	if clock != nil {
		cfg.Clock = clock
	}
	s := startServer(t, cfg)
	waitLeader(t, s)
	return s
}

func mustACL(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func upsertPolicy(t *testing.T, s *Server, name, rules string) uint64 {
	t.Helper()
	index, err := s.UpsertACLPolicies([]*nomadlike.ACLPolicy{{Name: name, Rules: rules}})
	if err != nil {
		t.Fatalf("UpsertACLPolicies(%s) = %v", name, err)
	}
	return index
}

func TestACLBootstrapOnceAndReset(t *testing.T) {
	s := aclServer(t, nil)
	first, index, err := s.BootstrapACL("")
	if err != nil {
		t.Fatalf("BootstrapACL = %v", err)
	}
	if first.SecretID == "" || first.Type != nomadlike.ACLTokenTypeManagement || first.Name != "Bootstrap Token" || first.SecretHash != "" {
		t.Fatalf("bootstrap token = %+v, want a management token with its secret and no hash", first)
	}
	if a, err := s.ResolveToken(first.SecretID); err != nil || !a.IsManagement() {
		t.Fatalf("ResolveToken(bootstrap secret) = %v, %v; want management", a, err)
	}
	stored, _ := s.State().ACLTokenByAccessorID(nil, first.AccessorID)
	if stored.SecretID != "" || stored.SecretHash != nomadlike.HashACLSecret(first.SecretID) {
		t.Errorf("stored bootstrap token keeps SecretID %q / hash %q, want only the hash", stored.SecretID, stored.SecretHash)
	}

	want := fmt.Sprintf("ACL bootstrap already done (reset index: %d)", index)
	_, _, err = s.BootstrapACL("")
	if err == nil || err.Error() != want || !errors.Is(err, nomadlike.ErrValidation) {
		t.Fatalf("second BootstrapACL = %v, want %q", err, want)
	}
	reset := filepath.Join(s.cfg.DataDir, ACLBootstrapResetFile)
	for _, bad := range []string{"garbage", fmt.Sprint(index - 1)} {
		mustACL(t, os.WriteFile(reset, []byte(bad), 0o600))
		if _, _, err := s.BootstrapACL(""); err == nil || err.Error() != want {
			t.Errorf("BootstrapACL with reset file %q = %v, want %q", bad, err, want)
		}
	}
	mustACL(t, os.WriteFile(reset, []byte(fmt.Sprintf("%d\n", index)), 0o600))
	secret := nomadlike.GenerateUUID()
	again, index2, err := s.BootstrapACL(secret)
	if err != nil {
		t.Fatalf("BootstrapACL after reset = %v", err)
	}
	if again.SecretID != secret {
		t.Errorf("BootstrapSecret not used: SecretID %q, want %q", again.SecretID, secret)
	}
	// The file is stale now: the reset index moved on.
	want = fmt.Sprintf("ACL bootstrap already done (reset index: %d)", index2)
	if _, _, err := s.BootstrapACL(""); err == nil || err.Error() != want {
		t.Errorf("BootstrapACL with a stale reset file = %v, want %q", err, want)
	}
	// The first bootstrap token still works: a reset adds a token.
	if _, err := s.ResolveToken(first.SecretID); err != nil {
		t.Errorf("first bootstrap token after reset: %v", err)
	}
}

func TestACLBootstrapSecretMustBeUUID(t *testing.T) {
	s := aclServer(t, nil)
	_, _, err := s.BootstrapACL("not-a-uuid")
	if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), "BootstrapSecret") {
		t.Fatalf("BootstrapACL(not-a-uuid) = %v, want a validation error naming BootstrapSecret", err)
	}
	if idx, _ := s.State().ACLBootstrapIndex(); idx != 0 {
		t.Errorf("a refused bootstrap wrote: bootstrap index %d", idx)
	}
}

// TestACLPolicyBadRulesRefused: rules that do not parse are refused with
// the policy's field path and name:line:col, and nothing is written, not
// even the good policy of the same request.
func TestACLPolicyBadRulesRefused(t *testing.T) {
	s := aclServer(t, nil)
	good := &nomadlike.ACLPolicy{Name: "good", Rules: `node { policy = "read" }`}
	cases := []struct {
		name   string
		policy *nomadlike.ACLPolicy
		want   []string
	}{
		{"bad policy value", &nomadlike.ACLPolicy{Name: "bad", Rules: "namespace \"default\" {\n  policy = \"admin\"\n}\n"},
			[]string{"Policies[1].Rules: bad:2:"}},
		{"unknown block", &nomadlike.ACLPolicy{Name: "bad", Rules: "nodes {\n}\n"}, []string{"Policies[1].Rules: bad:1:1"}},
		{"syntax", &nomadlike.ACLPolicy{Name: "bad", Rules: "node {"}, []string{"Policies[1].Rules: bad:1:"}},
		{"bad name", &nomadlike.ACLPolicy{Name: "no/slash"}, []string{"Policies[1].Name: invalid policy name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.UpsertACLPolicies([]*nomadlike.ACLPolicy{good, tc.policy})
			if !errors.Is(err, nomadlike.ErrValidation) {
				t.Fatalf("UpsertACLPolicies = %v, want a validation error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("UpsertACLPolicies error = %q, want it to contain %q", err, w)
				}
			}
			if idx, _ := s.State().Index(state.TableACLPolicies); idx != 0 {
				t.Errorf("refused upsert wrote the policies table (index %d)", idx)
			}
			if p, _ := s.State().ACLPolicyByName(nil, "good"); p != nil {
				t.Error("the good policy of a refused request was written")
			}
		})
	}
}

func TestACLTokenCreateRefused(t *testing.T) {
	clock := newFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := aclServer(t, clock)
	upsertPolicy(t, s, "ops", `node { policy = "read" }`)
	past := clock.Now().Add(-time.Minute)
	cases := []struct {
		name  string
		token *nomadlike.ACLToken
		want  string
	}{
		{"missing policy", &nomadlike.ACLToken{Type: "client", Policies: []string{"ops", "nope"}}, `Policies[1]: policy "nope" does not exist`},
		{"no policy", &nomadlike.ACLToken{Type: "client"}, "Policies: a client token needs at least one policy"},
		{"management with policy", &nomadlike.ACLToken{Type: "management", Policies: []string{"ops"}}, "Policies: a management token cannot have policies"},
		{"past expiry", &nomadlike.ACLToken{Type: "management", ExpirationTime: &past}, "ExpirationTime: is in the past"},
		{"accessor given", &nomadlike.ACLToken{AccessorID: "x", Type: "management"}, "AccessorID"},
		{"bad type", &nomadlike.ACLToken{Type: "admin"}, "Type: token type must be"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.CreateACLToken(tc.token)
			if !errors.Is(err, nomadlike.ErrValidation) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CreateACLToken = %v, want a validation error containing %q", err, tc.want)
			}
			if idx, _ := s.State().Index(state.TableACLTokens); idx != 0 {
				t.Errorf("refused create wrote the tokens table (index %d)", idx)
			}
		})
	}
}

func TestACLTokenExpiry(t *testing.T) {
	clock := newFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := aclServer(t, clock)
	upsertPolicy(t, s, "ops", `node { policy = "read" }`)
	tok, _, err := s.CreateACLToken(&nomadlike.ACLToken{Name: "ci", Type: "client", Policies: []string{"ops"}, ExpirationTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpirationTime == nil || !tok.ExpirationTime.Equal(clock.Now().Add(time.Hour)) || tok.ExpirationTTL != 0 {
		t.Fatalf("ExpirationTime = %v (TTL %v), want now+1h", tok.ExpirationTime, tok.ExpirationTTL)
	}
	if a, err := s.ResolveToken(tok.SecretID); err != nil || !a.AllowNodeRead() {
		t.Fatalf("ResolveToken before expiry = %v, %v", a, err)
	}
	clock.Set(clock.Now().Add(time.Hour))
	if _, err := s.ResolveToken(tok.SecretID); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Errorf("ResolveToken after expiry (cached) = %v, want ErrTokenNotFound", err)
	}
	s.aclCache = aclCache{}
	if _, err := s.ResolveToken(tok.SecretID); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Errorf("ResolveToken after expiry (uncached) = %v, want ErrTokenNotFound", err)
	}
	if _, err := s.ACLTokenBySecret(tok.SecretID); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Errorf("ACLTokenBySecret after expiry = %v, want ErrTokenNotFound", err)
	}
	// Still listed by accessor (until deleted), as Nomad lists expired tokens.
	if got, _ := s.State().ACLTokenByAccessorID(nil, tok.AccessorID); got == nil {
		t.Error("expired token no longer readable by accessor")
	}
}

func TestResolveToken(t *testing.T) {
	s := aclServer(t, nil)
	if a, err := s.ResolveToken(""); err != nil || a == nil || a.AllowNodeRead() || a.AllowNamespace("default") {
		t.Fatalf("anonymous without a policy = %v, %v; want an ACL with no rights", a, err)
	}
	upsertPolicy(t, s, nomadlike.AnonymousPolicyName, `node { policy = "read" }`)
	if a, err := s.ResolveToken(""); err != nil || !a.AllowNodeRead() || a.AllowNodeWrite() {
		t.Errorf("anonymous with the anonymous policy = %v, %v; want node read", a, err)
	}
	if _, err := s.ResolveToken("no-such-secret"); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Errorf("ResolveToken(unknown) = %v, want ErrTokenNotFound", err)
	}
	upsertPolicy(t, s, "ops", `operator { policy = "write" }`)
	upsertPolicy(t, s, "gone", `agent { policy = "write" }`)
	tok, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "client", Policies: []string{"ops", "gone"}})
	if err != nil {
		t.Fatal(err)
	}
	mgmt, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "management"})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := s.ResolveToken(mgmt.SecretID); err != nil || a != acl.ManagementACL() {
		t.Errorf("ResolveToken(management) = %v, %v; want ManagementACL", a, err)
	}
	a, err := s.ResolveToken(tok.SecretID)
	if err != nil || !a.AllowOperatorWrite() || !a.AllowAgentWrite() || a.AllowNodeRead() {
		t.Fatalf("ResolveToken(client) = %v, %v; want operator and agent write", a, err)
	}
	if _, err := s.DeleteACLPolicies([]string{"gone"}); err != nil {
		t.Fatal(err)
	}
	if a, err := s.ResolveToken(tok.SecretID); err != nil || !a.AllowOperatorWrite() || a.AllowAgentWrite() {
		t.Errorf("after deleting policy gone = %v, %v; want operator write only", a, err)
	}
	if _, err := s.DeleteACLTokens([]string{tok.AccessorID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveToken(tok.SecretID); !errors.Is(err, nomadlike.ErrTokenNotFound) {
		t.Errorf("ResolveToken(deleted) = %v, want ErrTokenNotFound", err)
	}
}

// TestResolveTokenCacheInvalidation: a cached ACL is reused while the ACL
// tables stand still, and a token's rights change as soon as a policy
// upsert commits.
func TestResolveTokenCacheInvalidation(t *testing.T) {
	s := aclServer(t, nil)
	upsertPolicy(t, s, "dev", `namespace "default" { policy = "read" }`)
	tok, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "client", Policies: []string{"dev"}})
	if err != nil {
		t.Fatal(err)
	}
	a1, err := s.ResolveToken(tok.SecretID)
	mustACL(t, err)
	a2, err := s.ResolveToken(tok.SecretID)
	mustACL(t, err)
	if a1 != a2 {
		t.Error("second ResolveToken compiled again; want the cached ACL")
	}
	if a1.AllowNamespaceOperation("default", acl.NamespaceCapabilitySubmitJob) {
		t.Fatal("read policy allows submit-job")
	}
	upsertPolicy(t, s, "dev", `namespace "default" { policy = "write" }`)
	a3, err := s.ResolveToken(tok.SecretID)
	mustACL(t, err)
	if !a3.AllowNamespaceOperation("default", acl.NamespaceCapabilitySubmitJob) {
		t.Error("right after the policy upsert committed, the token still lacks submit-job")
	}
	// A token update (here: a policy removed) takes effect at once too.
	upsertPolicy(t, s, "other", `node { policy = "read" }`)
	if _, _, err := s.UpdateACLToken(&nomadlike.ACLToken{AccessorID: tok.AccessorID, Type: "client", Policies: []string{"other"}}); err != nil {
		t.Fatal(err)
	}
	a4, err := s.ResolveToken(tok.SecretID)
	mustACL(t, err)
	if a4.AllowNamespaceOperation("default", acl.NamespaceCapabilityReadJob) || !a4.AllowNodeRead() {
		t.Error("after the token update, the token keeps its old rights")
	}
}

func TestUpdateACLToken(t *testing.T) {
	s := aclServer(t, nil)
	upsertPolicy(t, s, "a", `node { policy = "read" }`)
	tok, _, err := s.CreateACLToken(&nomadlike.ACLToken{Name: "x", Type: "client", Policies: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := s.UpdateACLToken(&nomadlike.ACLToken{AccessorID: tok.AccessorID, Name: "y", Type: "management", SecretID: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "y" || out.Type != "management" || out.SecretID != "" || out.SecretHash != "" || out.CreateIndex != tok.CreateIndex {
		t.Errorf("updated = %+v", out)
	}
	if a, err := s.ResolveToken(tok.SecretID); err != nil || !a.IsManagement() {
		t.Errorf("the old secret after update = %v, %v; want management", a, err)
	}
	cases := []struct {
		name string
		in   *nomadlike.ACLToken
		want error
	}{
		{"unknown", &nomadlike.ACLToken{AccessorID: "nope", Type: "management"}, nomadlike.ErrNotFound},
		{"ttl", &nomadlike.ACLToken{AccessorID: tok.AccessorID, Type: "management", ExpirationTTL: time.Hour}, nomadlike.ErrValidation},
		{"global", &nomadlike.ACLToken{AccessorID: tok.AccessorID, Type: "management", Global: true}, nomadlike.ErrValidation},
		{"missing policy", &nomadlike.ACLToken{AccessorID: tok.AccessorID, Type: "client", Policies: []string{"zz"}}, nomadlike.ErrValidation},
	}
	for _, tc := range cases {
		if _, _, err := s.UpdateACLToken(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: UpdateACLToken = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// BenchmarkResolveToken: a cached lookup (the common case: the ACL tables
// did not change since the token was last seen) against a full one
// (token by secret hash, policies parsed and compiled).
func BenchmarkResolveToken(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Dev, cfg.NumSchedulers = true, 0
	_, cfg.RaftTransport = raft.NewInmemTransport("")
	s, err := NewServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown()
	poll.UntilTrue(b, 10*time.Second, "a leader", s.IsLeader)
	for _, p := range []struct{ name, rules string }{
		{"ns", `namespace "default" { policy = "write" }` + "\n" + `namespace "prod-*" { policy = "read" }`},
		{"infra", `node { policy = "read" }` + "\n" + `agent { policy = "read" }` + "\n" + `operator { policy = "read" }`},
	} {
		if _, err := s.UpsertACLPolicies([]*nomadlike.ACLPolicy{{Name: p.name, Rules: p.rules}}); err != nil {
			b.Fatal(err)
		}
	}
	tok, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "client", Policies: []string{"ns", "infra"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.ResolveToken(tok.SecretID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.aclCache.mu.Lock()
			s.aclCache.entries = nil
			s.aclCache.mu.Unlock()
			if _, err := s.ResolveToken(tok.SecretID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestACLTokenGC: the leader deletes tokens that expired more than the GC
// threshold ago, and keeps the others.
func TestACLTokenGC(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := newFakeClock(start)
	s := aclServer(t, clock)
	upsertPolicy(t, s, "p", `node { policy = "read" }`)
	short, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "client", Policies: []string{"p"}, ExpirationTTL: time.Minute})
	mustACL(t, err)
	long, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "client", Policies: []string{"p"}, ExpirationTTL: 24 * time.Hour})
	mustACL(t, err)
	forever, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "management"})
	mustACL(t, err)
	clock.Set(start.Add(aclTokenGCThreshold + time.Minute + aclTokenGCInterval))
	poll.Until(t, 10*time.Second, "the expired token deleted", func() (bool, string) {
		tok, _ := s.State().ACLTokenByAccessorID(nil, short.AccessorID)
		return tok == nil, "still there"
	})
	for _, keep := range []*nomadlike.ACLToken{long, forever} {
		if tok, _ := s.State().ACLTokenByAccessorID(nil, keep.AccessorID); tok == nil {
			t.Errorf("token %s deleted by the GC, want kept", keep.AccessorID)
		}
	}
}

// TestACLSecretsNotInSnapshot: a raft snapshot of the cluster (what
// `operator snapshot save` writes) holds the hashes of token secrets,
// never the secrets.
func TestACLSecretsNotInSnapshot(t *testing.T) {
	s := aclServer(t, nil)
	boot, _, err := s.BootstrapACL("")
	mustACL(t, err)
	tok, _, err := s.CreateACLToken(&nomadlike.ACLToken{Type: "management", Name: "ops"})
	mustACL(t, err)
	var buf strings.Builder
	mustACL(t, s.SnapshotSave(&buf))
	for _, secret := range []string{boot.SecretID, tok.SecretID} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("snapshot holds the secret %s", secret)
		}
		if !strings.Contains(buf.String(), nomadlike.HashACLSecret(secret)) {
			t.Errorf("snapshot lacks the hash of secret %s", secret)
		}
	}
}
