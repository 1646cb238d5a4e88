package tlsutil

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// Listener serves TLS over an inner listener. Each accepted connection's
// handshake runs on its own goroutine, bounded by a timeout, before Accept
// returns it: a client that opens a connection and sends nothing (or
// dribbles its hello) holds a socket for at most that long and never
// stalls other connections.
type Listener struct {
	inner   net.Listener
	cfg     *tls.Config
	timeout time.Duration
	onError func(net.Addr, error)

	readyCh   chan net.Conn
	closedCh  chan struct{}
	closeOnce sync.Once
	acceptErr error
	doneCh    chan struct{}
}

// NewListener wraps inner. timeout bounds each handshake (0: no bound,
// as limits.https_handshake_timeout = "0"); onError, if set, is told about
// failed handshakes.
func NewListener(inner net.Listener, cfg *tls.Config, timeout time.Duration, onError func(net.Addr, error)) *Listener {
	l := &Listener{inner: inner, cfg: cfg, timeout: timeout, onError: onError,
		readyCh: make(chan net.Conn), closedCh: make(chan struct{}), doneCh: make(chan struct{})}
	go l.loop()
	return l
}

func (l *Listener) loop() {
	defer close(l.doneCh)
	for {
		c, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			l.acceptErr = err
			return
		}
		go l.handshake(c)
	}
}

func (l *Listener) handshake(raw net.Conn) {
	tc := tls.Server(raw, l.cfg)
	if l.timeout > 0 {
		_ = raw.SetDeadline(time.Now().Add(l.timeout))
	}
	if err := tc.Handshake(); err != nil {
		if l.onError != nil {
			l.onError(raw.RemoteAddr(), err)
		}
		raw.Close()
		return
	}
	_ = raw.SetDeadline(time.Time{})
	select {
	case l.readyCh <- tc:
	case <-l.closedCh:
		tc.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.readyCh:
		return c, nil
	case <-l.closedCh:
		return nil, net.ErrClosed
	case <-l.doneCh:
		select { // a handshake may have finished as the loop ended
		case c := <-l.readyCh:
			return c, nil
		default:
		}
		return nil, l.acceptErr
	}
}

// Close closes the inner listener; handshakes in flight are dropped.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.closedCh)
		err = l.inner.Close()
	})
	return err
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }
