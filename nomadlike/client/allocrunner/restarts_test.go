package allocrunner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestRestartTracker(t *testing.T) {
	fail := &drivers.ExitResult{ExitCode: 1}
	ok := &drivers.ExitResult{}
	policy := func(mode string) *nomadlike.RestartPolicy {
		return &nomadlike.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: time.Second, Mode: mode}
	}
	type step struct {
		after   time.Duration // clock advance before this exit
		res     *drivers.ExitResult
		err     error
		recov   bool
		restart bool
		delay   time.Duration
		failed  bool
		reason  string
	}
	cases := []struct {
		name    string
		policy  *nomadlike.RestartPolicy
		jobType string
		steps   []step
	}{
		{"fail mode gives up after attempts", policy("fail"), "service", []step{
			{res: fail, restart: true, delay: time.Second, reason: ReasonWithinPolicy},
			{res: fail, restart: true, delay: time.Second, reason: ReasonWithinPolicy},
			{res: fail, failed: true, reason: `Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"`},
		}},
		{"delay mode waits for the interval", policy("delay"), "service", []step{
			{res: fail, restart: true, delay: time.Second},
			{after: 10 * time.Second, res: fail, restart: true, delay: time.Second},
			{after: 10 * time.Second, res: fail, restart: true, delay: 40 * time.Second, reason: ReasonDelay},
			{after: 41 * time.Second, res: fail, restart: true, delay: time.Second, reason: ReasonWithinPolicy},
		}},
		{"new interval resets attempts", policy("fail"), "service", []step{
			{res: fail, restart: true, delay: time.Second},
			{res: fail, restart: true, delay: time.Second},
			{after: 2 * time.Minute, res: fail, restart: true, delay: time.Second},
		}},
		{"batch success completes", policy("fail"), "batch", []step{
			{res: ok, reason: "Restart unnecessary as task terminated successfully"},
		}},
		{"service success restarts", policy("fail"), "service", []step{
			{res: ok, restart: true, delay: time.Second},
		}},
		{"no attempts", &nomadlike.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: "fail"}, "batch", []step{
			{res: fail, failed: true, reason: ReasonNoRestartsAllowed},
		}},
		{"unrecoverable start error", policy("fail"), "service", []step{
			{err: errors.New("bad"), failed: true, reason: ReasonUnrecoverable},
		}},
		{"recoverable start error", policy("fail"), "service", []step{
			{err: errors.New("busy"), recov: true, restart: true, delay: time.Second},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			rt := newRestartTracker(tc.policy, tc.jobType)
			rt.now = func() time.Time { return now }
			rt.jitter = func(d time.Duration) time.Duration { return d }
			for i, s := range tc.steps {
				now = now.Add(s.after)
				got := rt.next(s.res, s.err, s.recov)
				if got.restart != s.restart || got.failed != s.failed || (s.restart && got.delay != s.delay) ||
					(s.reason != "" && !strings.Contains(got.reason, s.reason)) {
					t.Fatalf("step %d: next() = %+v, want restart=%v delay=%v failed=%v reason %q", i, got, s.restart, s.delay, s.failed, s.reason)
				}
			}
		})
	}
}
