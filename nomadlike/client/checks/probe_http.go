package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// httpProbe speaks HTTP/1.1 on one keep-alive connection of its own.
//
// Why not net/http's Client: a Transport hands every request between the
// caller's goroutine and the connection's read and write loops, which cost
// more CPU than the request itself when a client runs a thousand checks a
// second (BENCHMARKS.md, "Health checks"). A check sends the same request
// every time to one address and never more than one at a time, so the
// request is serialised once and written on a connection the probe keeps;
// http.ReadResponse parses the answer. A connection the server closed is
// dialed again once.
type httpProbe struct {
	method  string
	url     string
	addr    string
	request []byte // the serialised request
	tlsConf *tls.Config

	mu     sync.Mutex
	conn   net.Conn
	br     *bufio.Reader
	closed bool
}

func newHTTPProbe(method, url, addr, host string, header http.Header, body string, tlsConf *tls.Config) (*httpProbe, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return nil, err
	}
	req.Header = header.Clone()
	if host != "" {
		req.Host = host
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "nomadlike-health-check")
	}
	if body == "" {
		req.Body, req.ContentLength = nil, 0
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		return nil, err
	}
	return &httpProbe{method: method, url: url, addr: addr, request: buf.Bytes(), tlsConf: tlsConf}, nil
}

func (p *httpProbe) probe(ctx context.Context) Result {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	for attempt := 0; ; attempt++ {
		conn, br, reused, err := p.connection(ctx)
		if err != nil {
			return Result{Status: StatusCritical, Output: err.Error()}
		}
		r, keep, err := p.roundTrip(conn, br, deadline)
		if !keep || err != nil {
			p.drop(conn)
		}
		if err != nil {
			if reused && attempt == 0 && ctx.Err() == nil {
				continue // the server closed the idle connection
			}
			return Result{Status: StatusCritical, Output: fmt.Sprintf("HTTP %s %s: %v", p.method, p.url, err)}
		}
		return r
	}
}

// connection returns the kept connection, or dials one.
func (p *httpProbe) connection(ctx context.Context) (net.Conn, *bufio.Reader, bool, error) {
	p.mu.Lock()
	if p.conn != nil {
		defer p.mu.Unlock()
		return p.conn, p.br, true, nil
	}
	p.mu.Unlock()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, nil, false, err
	}
	if p.tlsConf != nil {
		tc := tls.Client(conn, p.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, nil, false, err
		}
		conn = tc
	}
	br := bufio.NewReaderSize(conn, 4096)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		conn.Close()
		return nil, nil, false, net.ErrClosed
	}
	p.conn, p.br = conn, br
	return conn, br, false, nil
}

// roundTrip writes the request and reads the answer; keep reports
// whether the connection can carry the next one.
func (p *httpProbe) roundTrip(conn net.Conn, br *bufio.Reader, deadline time.Time) (Result, bool, error) {
	if err := conn.SetDeadline(deadline); err != nil {
		return Result{}, false, err
	}
	if _, err := conn.Write(p.request); err != nil {
		return Result{}, false, err
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: p.method})
	if err != nil {
		return Result{}, false, err
	}
	out, _ := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	keep := !resp.Close && n < 64<<10
	_ = resp.Body.Close()
	st := StatusCritical
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		st = StatusPassing
	case resp.StatusCode == http.StatusTooManyRequests:
		st = StatusWarning
	}
	return Result{Status: st, StatusCode: resp.StatusCode,
		Output: fmt.Sprintf("HTTP %s %s: %s Output: %s", p.method, p.url, resp.Status, bytes.TrimSpace(out))}, keep, nil
}

// drop closes conn if it is still the kept one.
func (p *httpProbe) drop(conn net.Conn) {
	p.mu.Lock()
	if p.conn == conn {
		p.conn, p.br = nil, nil
	}
	p.mu.Unlock()
	_ = conn.Close()
}

func (p *httpProbe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn, p.br = nil, nil
	}
}
