package server

import (
	"errors"
	"net"
	"testing"
	"time"
)

// The RPC listener (raft and join) holds at most RPCMaxConnsPerClient
// connections from one source IP, and drops a connection that does not
// send its first byte within RPCHandshakeTimeout.
func TestRPCListenerLimits(t *testing.T) {
	cfg := testConfig(t)
	cfg.RaftTransport = nil
	cfg.RPCAddr = "127.0.0.1:0"
	cfg.RPCMaxConnsPerClient = 3
	cfg.RPCHandshakeTimeout = 3 * time.Second
	s := startServer(t, cfg)
	addr := s.RPCAddr()

	dial := func(src string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", src, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closedWithin reports whether the server closes c within d.
	closedWithin := func(c net.Conn, d time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(d))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}

	// Three silent connections are held until the handshake timeout...
	held := []net.Conn{dial("127.0.0.3"), dial("127.0.0.3"), dial("127.0.0.3")}
	// ...a fourth from the same IP is closed at once, while they are
	// still open (so not by the handshake timeout)...
	if over := dial("127.0.0.3"); !closedWithin(over, 10*time.Second) {
		t.Fatal("a connection over RPCMaxConnsPerClient was not closed")
	}
	if closedWithin(held[2], time.Millisecond) {
		t.Fatal("a held connection was closed before the over-limit one was rejected")
	}
	// ...another IP is not affected...
	other := dial("127.0.0.2")
	if closedWithin(other, time.Millisecond) {
		t.Fatal("a connection from another IP was closed at once")
	}
	// ...and the silent ones are closed after RPCHandshakeTimeout.
	for i, c := range append(held, other) {
		if !closedWithin(c, 20*time.Second) {
			t.Fatalf("silent connection %d still open 20s after RPCHandshakeTimeout", i)
		}
	}
}
