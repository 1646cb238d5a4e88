package agent

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/connlimit"
)

// Timeouts of the HTTP server. None of them may cut a blocking query,
// which waits up to ten minutes without reading or writing: there is no
// whole-request read timeout and no response write timeout (net/http's
// ReadTimeout would cancel a blocking query's context when it fires,
// and WriteTimeout would cut it off). Instead each phase that a slow
// client could stretch has its own bound.
const (
	// httpReadHeaderTimeout bounds reading a request's line and headers.
	httpReadHeaderTimeout = 10 * time.Second
	// httpIdleTimeout closes a keep-alive connection with no request for
	// this long; above Go's client idle timeout (90s) so that clients
	// close first.
	httpIdleTimeout = 2 * time.Minute
	// httpWriteStallTimeout fails a response write that makes no
	// progress for this long (the client stopped reading); a response
	// that keeps moving, such as a log stream, is not cut.
	httpWriteStallTimeout = 2 * time.Minute
	// httpBodyMinRate is the body rate (bytes per second) that earns
	// more time past limits.http_body_read_timeout.
	httpBodyMinRate = 64 << 10
)

// tooManyConnsBody explains a 429 for too many connections.
const tooManyConnsBody = "too many concurrent connections from your address (limits.http_max_conns_per_client); close some and retry\n"

// tooManyConnsAnswer is what a connection over
// limits.http_max_conns_per_client gets before it is closed.
var tooManyConnsAnswer = "HTTP/1.1 429 Too Many Requests\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Connection: close\r\n" +
	"Content-Length: " + strconv.Itoa(len(tooManyConnsBody)) + "\r\n\r\n" +
	tooManyConnsBody

// listenHTTP wraps ln with the per-client connection limit.
func listenHTTP(ln net.Listener, l Limits) *connlimit.Listener {
	return connlimit.Wrap(ln, connlimit.Config{
		MaxConnsPerIP:     l.HTTPMaxConnsPerClient,
		Reject:            func(c net.Conn) { _, _ = io.WriteString(c, tooManyConnsAnswer) },
		WriteStallTimeout: httpWriteStallTimeout,
	})
}

// newHTTPServer returns the API server with the timeouts above.
func newHTTPServer(h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Handler:           withBodyDeadline(h, l.HTTPBodyReadTimeout),
		ReadHeaderTimeout: httpReadHeaderTimeout,
		IdleTimeout:       httpIdleTimeout,
	}
}

// withBodyDeadline gives a request with a body timeout (plus the time the
// bytes read so far earn at httpBodyMinRate) to send it; a read past the
// deadline fails and the connection is closed. The deadline is lifted
// once the body is read to its end, so the handler that follows, however
// long, runs without one. timeout 0 disables it.
func withBodyDeadline(h http.Handler, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		b := &deadlineBody{ReadCloser: r.Body, rc: rc, start: time.Now(), timeout: timeout}
		if err := rc.SetReadDeadline(b.start.Add(timeout)); err != nil {
			h.ServeHTTP(w, r) // not a connection we can bound (tests' recorders)
			return
		}
		// A copy: net/http looks at the original request's Body after the
		// handler (to close a connection whose body was left unread) and
		// must still find its own body there.
		r2 := r.WithContext(r.Context())
		r2.Body = b
		h.ServeHTTP(w, r2)
	})
}

// deadlineBody moves the connection's read deadline as the body arrives.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	start   time.Time
	timeout time.Duration

	mu   sync.Mutex
	n    int64
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return n, err
	}
	b.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		// The whole body: the server now reads the connection in the
		// background to notice a client hanging up; with a deadline left
		// in place that read would time out and cancel the request.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil:
		// A timeout or a broken body: the deadline stays, so that the
		// server's read of the rest of the body fails as well and the
		// connection is closed.
		b.done = true
	case n > 0:
		earned := time.Duration(float64(b.n) / httpBodyMinRate * float64(time.Second))
		_ = b.rc.SetReadDeadline(b.start.Add(b.timeout + earned))
	}
	return n, err
}
