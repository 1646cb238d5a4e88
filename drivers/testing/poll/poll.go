package poll

import (
	"testing"
	"time"
)

// The pause between two calls of a condition starts at firstInterval and
// doubles up to maxInterval: a condition that holds at once costs little
// latency, one that takes seconds (an e2e cluster electing a leader) is
// not asked more than twenty times a second.
const (
	firstInterval = 5 * time.Millisecond
	maxInterval   = 50 * time.Millisecond
)

// Until calls cond until it reports true, and returns then. When timeout
// has passed and cond still reports false, Until fails t (Fatalf) with
// "timed out after <timeout> waiting for <what>: <detail>", detail being
// what cond last said it saw (it may be "" when there is nothing to add).
// cond runs on the calling goroutine, at least once, and never after Until
// returned. Call it from the test's goroutine (Fatalf ends it).
func Until(t testing.TB, timeout time.Duration, what string, cond func() (ok bool, detail string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	interval := firstInterval
	for {
		ok, detail := cond()
		if ok {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			if detail == "" {
				t.Fatalf("timed out after %v waiting for %s", timeout, what)
			} else {
				t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, detail)
			}
			return
		}
		time.Sleep(min(interval, left))
		interval = min(2*interval, maxInterval)
	}
}

// UntilTrue is Until for a condition with nothing to report but whether it
// holds.
func UntilTrue(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	Until(t, timeout, what, func() (bool, string) { return cond(), "" })
}
