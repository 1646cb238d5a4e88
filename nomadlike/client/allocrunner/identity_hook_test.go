package allocrunner

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/identity"
	"github.com/nomadlike/nomadlike/nomadlike/keyring"
)

// identitySigner signs short-lived identities for one allocation's task,
// as the servers do on every fetch, and remembers the last one.
type identitySigner struct {
	t   *testing.T
	key *keyring.Key
	ttl time.Duration

	mu      sync.Mutex
	last    string
	fetches int
}

func (s *identitySigner) sign(a *nomadlike.Allocation, task string) string {
	s.t.Helper()
	now := time.Now()
	tok, err := keyring.Sign(s.key, &keyring.IdentityClaims{Namespace: a.Namespace, JobID: a.JobID, AllocationID: a.ID, Task: task,
		Claims: jwt.Claims{IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(s.ttl)), ID: nomadlike.GenerateUUID()}})
	if err != nil {
		s.t.Error(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = tok
	return tok
}

func (s *identitySigner) fetcher(a *nomadlike.Allocation, task string) IdentityFetcher {
	return func(_ context.Context, allocID string) (map[string]string, error) {
		if allocID != a.ID {
			return nil, fmt.Errorf("fetch of %s, want %s", allocID, a.ID)
		}
		s.mu.Lock()
		s.fetches++
		s.mu.Unlock()
		return map[string]string{task: s.sign(a, task)}, nil
	}
}

func (s *identitySigner) latest() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.fetches
}

// TestIdentityRenewChangeModes: a task whose identity has a ttl gets a
// fresh token from the servers before it expires; the token file is
// rewritten, and change_mode applies: noop leaves the task alone, signal
// sends change_signal, restart restarts it with the new token in
// NOMAD_TOKEN.
func TestIdentityRenewChangeModes(t *testing.T) {
	cases := []struct {
		mode, signal string
		wantStarts   int
		wantEvent    string // task event type that must appear
	}{
		{mode: nomadlike.IdentityChangeNoop, wantStarts: 1},
		{mode: nomadlike.IdentityChangeSignal, signal: "SIGHUP", wantStarts: 1, wantEvent: nomadlike.TaskEventSignaling},
		{mode: nomadlike.IdentityChangeRestart, wantStarts: 2, wantEvent: nomadlike.TaskEventRestartSignal},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			key, err := keyring.NewKey("k1", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			signer := &identitySigner{t: t, key: key, ttl: 2 * time.Second}
			h := newHarness(t)
			tk := task("web", map[string]any{"run_for": "1h"})
			tk.Identity = &nomadlike.WorkloadIdentity{Name: "default", File: true, Env: true, TTL: signer.ttl,
				ChangeMode: tc.mode, ChangeSignal: tc.signal}
			a := batchAlloc(tk)
			first := signer.sign(a, "web")
			a.SignedIdentities = map[string]string{"web": first}
			h.identities = signer.fetcher(a, "web")
			ar := h.start(a)
			waitStatus(t, ar, nomadlike.AllocClientStatusRunning)
			if got := readTaskFile(ar, "web", "secrets/nomad_token"); got != first {
				t.Fatalf("token file = %q, want the allocation's token", got)
			}
			poll.Until(t, 10*time.Second, "the renewed token", func() (bool, string) {
				got := readTaskFile(ar, "web", "secrets/nomad_token")
				_, exp, _ := identity.Lifetime(got)
				_, firstExp, _ := identity.Lifetime(first)
				return exp.After(firstExp), "token file not renewed yet"
			})
			if _, n := signer.latest(); n == 0 {
				t.Fatal("renewed without asking the servers")
			}
			if tc.wantEvent != "" {
				waitTaskEvent(t, ar, "web", tc.wantEvent, tc.signal)
			}
			poll.Until(t, 10*time.Second, "the task starts", func() (bool, string) {
				n := h.host.Starts(a.ID, "web")
				return n >= tc.wantStarts, fmt.Sprintf("%d starts, want %d", n, tc.wantStarts)
			})
			if tc.mode != nomadlike.IdentityChangeRestart {
				if n := h.host.Starts(a.ID, "web"); n != 1 {
					t.Errorf("%d starts with change_mode %s, want 1", n, tc.mode)
				}
				return
			}
			env := h.host.LastConfig(a.ID, "web").Env
			if env[identity.EnvVar] == first || env[identity.EnvVar] == "" {
				t.Errorf("NOMAD_TOKEN after the restart is the first token, want a renewed one")
			}
		})
	}
}
