package server

import "time"

// Clock is the time source of the periodic launcher and of the times
// written with jobs (SubmitTime, dispatch and launch times). Tests pass a
// fake one so that a launch due in minutes happens when the test moves the
// clock, not after a real wait. Implementations must be safe for concurrent
// use.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
