package server

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
)

// fakeClock is a Clock that moves only when the test says. It remembers
// every After call, so that a test can wait until the launcher has finished
// a pass and gone to sleep until a given time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer // every After call, in order
}

type fakeTimer struct {
	owner string // who asked (see view)
	at    time.Time
	ch    chan time.Time
	fired bool
}

// fakeClockView is the clock as one server sees it: the same time, with
// its After calls marked as the owner's.
type fakeClockView struct {
	c     *fakeClock
	owner string
}

func (v fakeClockView) Now() time.Time                         { return v.c.Now() }
func (v fakeClockView) After(d time.Duration) <-chan time.Time { return v.c.after(v.owner, d) }

// view returns the clock for one owner (a server of a cluster).
func (c *fakeClock) view(owner string) Clock { return fakeClockView{c, owner} }

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time { return c.after("", d) }

func (c *fakeClock) after(owner string, d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{owner: owner, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	c.fireLocked()
	return t.ch
}

// Set moves the clock to now (forwards only) and fires the timers due.
func (c *fakeClock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.After(c.now) {
		c.now = now
	}
	c.fireLocked()
}

func (c *fakeClock) fireLocked() {
	for _, t := range c.timers {
		if !t.fired && !t.at.After(c.now) {
			t.fired = true
			t.ch <- c.now
		}
	}
}

// calls returns how many times After was called so far.
func (c *fakeClock) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// waitSleep waits until an After call of owner ("" for anyone) made after
// the first since calls asks to be woken at exactly at: the owner finished
// its work and sleeps until at.
func (c *fakeClock) waitSleep(t *testing.T, owner string, since int, at time.Time) {
	t.Helper()
	poll.Until(t, 10*time.Second, owner+" sleeping until "+at.UTC().Format(time.TimeOnly), func() (bool, string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		var seen []string
		for _, tm := range c.timers[min(since, len(c.timers)):] {
			if (owner == "" || tm.owner == owner) && tm.at.Equal(at) {
				return true, ""
			}
			seen = append(seen, tm.at.UTC().Format(time.TimeOnly))
		}
		return false, fmt.Sprintf("sleeps asked since call %d: %v", since, seen)
	})
}
