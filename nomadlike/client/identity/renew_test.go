package identity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

func signedToken(t *testing.T, k *keyring.Key, iat time.Time, ttl time.Duration) string {
	t.Helper()
	c := &keyring.IdentityClaims{Namespace: "default", JobID: "j", AllocationID: "a1", Task: "web",
		Claims: jwt.Claims{IssuedAt: jwt.NewNumericDate(iat), ID: nomadlike.GenerateUUID()}}
	if ttl > 0 {
		c.Expiry = jwt.NewNumericDate(iat.Add(ttl))
	}
	tok, err := keyring.Sign(k, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestIdentityRenewAt(t *testing.T) {
	k, _ := keyring.NewKey("k1", time.Now())
	iat := time.Unix(1_800_000_000, 0)
	cases := []struct {
		name   string
		tok    string
		want   time.Time
		wantOK bool
	}{
		{"half of an hour", signedToken(t, k, iat, time.Hour), iat.Add(30 * time.Minute), true},
		{"no ttl: never", signedToken(t, k, iat, 0), time.Time{}, false},
		{"not a token", "x.y.z", time.Time{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := RenewAt(tc.tok)
			if ok != tc.wantOK || !got.Equal(tc.want) {
				t.Fatalf("RenewAt = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestIdentityRenewerRetries: a failed fetch is retried with back-off and
// an answer that is not newer is not installed; the first newer token is.
func TestIdentityRenewerRetries(t *testing.T) {
	k, _ := keyring.NewKey("k1", time.Now())
	start := time.Now().Add(-time.Hour) // due at once
	cur := signedToken(t, k, start, time.Hour+time.Minute)
	fresh := signedToken(t, k, time.Now(), 2*time.Hour)
	var mu sync.Mutex
	calls := 0
	installed := make(chan string, 1)
	r := &Renewer{
		Current: func() string { mu.Lock(); defer mu.Unlock(); return cur },
		Fetch: func(context.Context) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			switch calls {
			case 1:
				return "", errors.New("servers unreachable")
			case 2:
				return cur, nil // not newer
			}
			return fresh, nil
		},
		Renewed: func(tok string) error {
			mu.Lock()
			cur = tok
			mu.Unlock()
			installed <- tok
			return nil
		},
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go r.Run(ctx)
	select {
	case got := <-installed:
		if got != fresh {
			t.Fatalf("installed %q, want the fresh token", got)
		}
	case <-ctx.Done():
		t.Fatal("no token installed")
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 {
		t.Errorf("%d fetches, want 3 (failure, not newer, fresh)", calls)
	}
}

// TestIdentityWriteFilepath: filepath puts the token under the task
// directory instead of secrets/nomad_token, mode 0600; a filepath that
// leaves the task directory, or a link planted there, is refused.
func TestIdentityWriteFilepath(t *testing.T) {
	ad := allocdir.New(t.TempDir(), "a1")
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	td, err := ad.BuildTask("web")
	if err != nil {
		t.Fatal(err)
	}
	task := &nomadlike.Task{Name: "web", Identity: &nomadlike.WorkloadIdentity{File: true, Filepath: "local/id.jwt"}}
	if err := WriteFile(ad, task, "a.b.c"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(td.Dir, "local", "id.jwt")
	fi, err := os.Stat(p)
	if b, _ := os.ReadFile(p); err != nil || string(b) != "a.b.c" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s = %q (%v), want the token, mode 0600", p, b, err)
	}
	if _, err := os.Stat(filepath.Join(td.SecretsDir, TokenFile)); err == nil {
		t.Error("secrets/nomad_token written too; filepath replaces it")
	}
	task.Identity.Filepath = "../../escape.jwt"
	if err := WriteFile(ad, task, "a.b.c"); err == nil {
		t.Error("a filepath outside the task directory was written")
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(td.Dir, "local", "link.jwt")); err != nil {
		t.Fatal(err)
	}
	task.Identity.Filepath = "local/link.jwt"
	_ = WriteFile(ad, task, "x.y.z")
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("victim = %q: written through the link", b)
	}
}
