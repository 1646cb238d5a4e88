package connlimit

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RejectWriteTimeout bounds the write Config.Reject may do on a connection
// over the limit: a fresh socket's send buffer is empty, so an answer of a
// few hundred bytes goes out at once or not at all.
const RejectWriteTimeout = 10 * time.Millisecond

// Config says what a Listener enforces. The zero value enforces nothing.
type Config struct {
	// MaxConnsPerIP is the most connections one remote IP may have open at
	// once; 0 means no limit. Connections over it are rejected as they are
	// accepted.
	MaxConnsPerIP int
	// Reject, if set, is called with each rejected connection before it is
	// closed, with a write deadline of RejectWriteTimeout already set (the
	// HTTP listener writes a 429 answer). It runs on the accepting
	// goroutine and must not read from the connection.
	Reject func(net.Conn)
	// WriteStallTimeout, if > 0, is how long one Write on an accepted
	// connection may block before it fails and the connection is closed:
	// a peer that stops reading an answer releases its connection after
	// this long. It bounds each write, not the connection's life, so a
	// long blocking query or a log stream that keeps moving is not cut.
	WriteStallTimeout time.Duration
}

// Listener is a net.Listener that enforces a Config. It is safe for
// concurrent use.
type Listener struct {
	net.Listener
	cfg Config

	mu    sync.Mutex
	perIP map[string]int

	rejected atomic.Uint64
}

// Wrap returns ln enforcing cfg. Closing the Listener closes ln.
func Wrap(ln net.Listener, cfg Config) *Listener {
	return &Listener{Listener: ln, cfg: cfg, perIP: map[string]int{}}
}

// Accept returns the next connection whose remote IP is under the limit.
// Connections over the limit are rejected and closed without being
// returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if !l.acquire(ip) {
			l.reject(c)
			continue
		}
		return &conn{Conn: c, l: l, ip: ip}, nil
	}
}

// Open returns how many connections from ip are open now.
func (l *Listener) Open(ip string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.perIP[ip]
}

// Rejected returns how many connections were rejected over the limit.
func (l *Listener) Rejected() uint64 { return l.rejected.Load() }

func (l *Listener) acquire(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if max := l.cfg.MaxConnsPerIP; max > 0 && l.perIP[ip] >= max {
		return false
	}
	l.perIP[ip]++
	return true
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP[ip] <= 1 {
		delete(l.perIP, ip)
		return
	}
	l.perIP[ip]--
}

func (l *Listener) reject(c net.Conn) {
	l.rejected.Add(1)
	if l.cfg.Reject != nil {
		_ = c.SetWriteDeadline(time.Now().Add(RejectWriteTimeout))
		l.cfg.Reject(c)
	}
	c.Close()
}

// remoteIP is the connection's remote IP without port; the whole address
// when it has no port (unix sockets, pipes in tests).
func remoteIP(c net.Conn) string {
	a := c.RemoteAddr()
	if a == nil {
		return ""
	}
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// conn counts against its IP until closed and bounds each write.
type conn struct {
	net.Conn
	l         *Listener
	ip        string
	closeOnce sync.Once
}

func (c *conn) Write(p []byte) (int, error) {
	if d := c.l.cfg.WriteStallTimeout; d > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(d))
	}
	n, err := c.Conn.Write(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		// The peer stopped reading: give its connection back.
		c.Close()
	}
	return n, err
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.l.release(c.ip) })
	return err
}

// CloseWrite half-closes the connection when the underlying one can, as
// net/http does after an error answer so that the peer still reads it.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Unwrap returns the underlying connection.
func (c *conn) Unwrap() net.Conn { return c.Conn }
