package poll_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// recorder is a testing.TB that records a failure instead of ending the
// test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestUntilTimesOutNamingWhatAndTheLastDetail(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	poll.Until(r, 30*time.Millisecond, "the answer", func() (bool, string) {
		calls++
		return false, fmt.Sprintf("seen %d", calls)
	})
	if len(r.failures) != 1 {
		t.Fatalf("failures = %q, want one", r.failures)
	}
	want := fmt.Sprintf("timed out after 30ms waiting for the answer: seen %d", calls)
	if r.failures[0] != want {
		t.Errorf("failure = %q, want %q", r.failures[0], want)
	}
	if calls < 2 {
		t.Errorf("cond called %d times, want it polled", calls)
	}
}

func TestUntilTrueTimesOutNamingWhat(t *testing.T) {
	r := &recorder{TB: t}
	poll.UntilTrue(r, 10*time.Millisecond, "never", func() bool { return false })
	if len(r.failures) != 1 || r.failures[0] != "timed out after 10ms waiting for never" {
		t.Errorf("failures = %q, want one naming \"never\"", r.failures)
	}
}

func TestUntilReturnsAsSoonAsTheConditionHolds(t *testing.T) {
	cases := []struct {
		name      string
		holdsFrom int // the call from which cond is true
	}{
		{"at once", 1},
		{"on the third call", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			calls := 0
			poll.Until(r, time.Minute, "cond", func() (bool, string) {
				calls++
				return calls >= tc.holdsFrom, "not yet"
			})
			if len(r.failures) != 0 {
				t.Errorf("failures = %q, want none", r.failures)
			}
			if calls != tc.holdsFrom {
				t.Errorf("cond called %d times, want %d (no call after it held)", calls, tc.holdsFrom)
			}
		})
	}
}

func TestUntilCallsTheConditionOnceEvenWithNoTime(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	poll.Until(r, 0, "cond", func() (bool, string) { calls++; return true, "" })
	if calls != 1 || len(r.failures) != 0 {
		t.Errorf("calls = %d, failures = %q; want 1 call and no failure", calls, r.failures)
	}
	r = &recorder{TB: t}
	poll.Until(r, -time.Second, "cond", func() (bool, string) { return false, "" })
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], "waiting for cond") {
		t.Errorf("failures = %q, want one", r.failures)
	}
}
