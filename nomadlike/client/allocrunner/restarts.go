package allocrunner

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// restartDecision is what the restart policy says after a task stopped.
type restartDecision struct {
	restart bool
	delay   time.Duration
	reason  string
	// failed marks the task failed when it is not restarted.
	failed bool
}

// restartTracker applies a restart policy. Attempts are counted within a
// window of Interval that starts at the first restart after the previous
// window ended, as Nomad counts them. It is used by one goroutine.
type restartTracker struct {
	policy *nomadlike.RestartPolicy
	// onSuccess restarts tasks that exit 0 too (service jobs).
	onSuccess bool
	count     int
	window    time.Time
	now       func() time.Time
	jitter    func(time.Duration) time.Duration
}

func newRestartTracker(p *nomadlike.RestartPolicy, jobType string) *restartTracker {
	if p == nil {
		p = nomadlike.DefaultRestartPolicy(jobType)
	}
	return &restartTracker{
		policy:    p,
		onSuccess: jobType != nomadlike.JobTypeBatch && jobType != nomadlike.JobTypeSysBatch,
		now:       time.Now,
		jitter: func(d time.Duration) time.Duration {
			// Up to 25% more, so tasks failing together do not restart together.
			if d <= 0 {
				return d
			}
			return d + time.Duration(rand.Int64N(int64(d)/4+1))
		},
	}
}

// next decides after a task exited with res, or failed to start (startErr).
// recoverable is false for errors that no restart can fix.
func (rt *restartTracker) next(res *drivers.ExitResult, startErr error, recoverable bool) restartDecision {
	if startErr == nil && res != nil && res.Successful() && !rt.onSuccess {
		return restartDecision{reason: "Restart unnecessary as task terminated successfully"}
	}
	if startErr != nil && !recoverable {
		return restartDecision{reason: ReasonUnrecoverable, failed: true}
	}
	if rt.policy.Attempts == 0 {
		return restartDecision{reason: ReasonNoRestartsAllowed, failed: true}
	}
	now := rt.now()
	if end := rt.window.Add(rt.policy.Interval); now.After(end) {
		rt.count = 0
		rt.window = now
	}
	rt.count++
	if rt.count > rt.policy.Attempts {
		if rt.policy.Mode == nomadlike.RestartPolicyModeDelay {
			delay := rt.window.Add(rt.policy.Interval).Sub(now)
			return restartDecision{restart: true, delay: delay, reason: ReasonDelay}
		}
		return restartDecision{failed: true, reason: fmt.Sprintf(
			"Exceeded allowed attempts %d in interval %v and mode is %q",
			rt.policy.Attempts, rt.policy.Interval, rt.policy.Mode)}
	}
	return restartDecision{restart: true, delay: rt.jitter(rt.policy.Delay), reason: ReasonWithinPolicy}
}
