package identity

import (
	"context"
	"errors"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
)

// Renewal. A token signed with a ttl carries exp; the client asks the
// servers for a fresh one (re-signed on each allocation fetch) at half its
// life, installs it (files, memory) and acts on the task as the identity's
// change_mode says. The client reads the claims only to schedule: the
// servers verify every token they are shown.

// ErrNotNewer is a renewal answer that does not expire later than the
// token it would replace.
var ErrNotNewer = errors.New("the servers returned no newer identity")

// Lifetime returns a token's issue and expiry times, read without checking
// the signature; ok is false for a token without exp (nothing to renew)
// or one that does not parse.
func Lifetime(tok string) (iat, exp time.Time, ok bool) {
	t, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	var c jwt.Claims
	if err := t.UnsafeClaimsWithoutVerification(&c); err != nil || c.Expiry == nil {
		return time.Time{}, time.Time{}, false
	}
	exp = c.Expiry.Time()
	iat = exp
	if c.IssuedAt != nil {
		iat = c.IssuedAt.Time()
	}
	return iat, exp, true
}

// RenewAt is when a token should be renewed: half way between its issue
// and its expiry. ok is false for a token without exp.
func RenewAt(tok string) (time.Time, bool) {
	iat, exp, ok := Lifetime(tok)
	if !ok {
		return time.Time{}, false
	}
	return iat.Add(exp.Sub(iat) / 2), true
}

// Newer reports whether fresh expires later than cur.
func Newer(fresh, cur string) bool {
	_, fe, ok := Lifetime(fresh)
	if !ok {
		return false
	}
	_, ce, ok := Lifetime(cur)
	return !ok || fe.After(ce)
}

// Renewer keeps one task's identity fresh until its context ends.
type Renewer struct {
	// Current returns the token in use.
	Current func() string
	// Fetch asks the servers for a fresh token.
	Fetch func(ctx context.Context) (string, error)
	// Renewed installs a fresh token and applies the change mode; an
	// error is logged (the token stays installed).
	Renewed func(tok string) error
	Logger  hclog.Logger
	// Now defaults to time.Now; RetryMin and RetryMax (1s, 30s) bound the
	// back-off after a failed fetch.
	Now                func() time.Time
	RetryMin, RetryMax time.Duration
}

// Run renews the token at half its life, retrying failed fetches with
// back-off, until ctx ends or the token has no expiry.
func (r *Renewer) Run(ctx context.Context) {
	now, logger := r.Now, r.Logger
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	failures := 0
	for {
		cur := r.Current()
		at, ok := RenewAt(cur)
		if !ok {
			return
		}
		wait := at.Sub(now())
		if failures > 0 {
			wait = r.backoff(failures)
		}
		if !ctxsleep.Sleep(ctx, wait) {
			return
		}
		fresh, err := r.Fetch(ctx)
		if err == nil && !Newer(fresh, cur) {
			err = ErrNotNewer
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			logger.Warn("renew workload identity", "error", err, "retry_in", r.backoff(failures))
			continue
		}
		failures = 0
		if err := r.Renewed(fresh); err != nil {
			logger.Warn("install renewed workload identity", "error", err)
		}
	}
}

func (r *Renewer) backoff(failures int) time.Duration {
	lo, hi := r.RetryMin, r.RetryMax
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = 30 * time.Second
	}
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}
