package iradix

// Local change of the nomadlike repository (see README.md): a node's or
// leaf's mutation channel is made only when someone asks for it.

import "sync/atomic"

// closedCh is the channel of every node that changed before anyone asked
// for its channel.
var closedCh = func() *chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return &ch
}()

// watchCh is a mutation channel made on first use. The zero value is
// ready. Readers may call get concurrently with one notify.
type watchCh struct {
	p atomic.Pointer[chan struct{}]
}

// get returns the channel, closed once notify has run.
func (w *watchCh) get() chan struct{} {
	if p := w.p.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{})
	if w.p.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *w.p.Load()
}

// notify closes the channel if it was made, and makes later gets return a
// closed one. Calling it again does nothing.
func (w *watchCh) notify() {
	for {
		p := w.p.Load()
		if p == closedCh {
			return
		}
		if w.p.CompareAndSwap(p, closedCh) {
			if p != nil {
				close(*p)
			}
			return
		}
	}
}
