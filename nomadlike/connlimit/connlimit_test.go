package connlimit

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// dialFrom connects to addr from the loopback address src (127.0.0.0/8 is
// all local on Linux, so each source IP is a different client).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// serve accepts from l until it is closed, handing each connection to ch.
func serve(t *testing.T, l net.Listener) <-chan net.Conn {
	ch := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(ch)
				return
			}
			ch <- c
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for c := range ch {
			c.Close()
		}
	})
	return ch
}

func listen(t *testing.T, cfg Config) *Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Wrap(ln, cfg)
}

func accepted(t *testing.T, ch <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted within 10s")
		return nil
	}
}

// readAll reads c to EOF, failing after a generous deadline.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after 10s; read %q", b)
		}
	}
	return string(b)
}

func TestListenerCapsConnectionsPerIP(t *testing.T) {
	l := listen(t, Config{MaxConnsPerIP: 3, Reject: func(c net.Conn) { io.WriteString(c, "busy\n") }})
	ch := serve(t, l)
	addr := l.Addr().String()

	var held []net.Conn
	for i := 0; i < 3; i++ {
		dialFrom(t, "127.0.0.3", addr)
		held = append(held, accepted(t, ch))
	}
	if n := l.Open("127.0.0.3"); n != 3 {
		t.Fatalf("Open(127.0.0.3) = %d, want 3", n)
	}
	// Over the limit: answered by Reject and closed, never accepted.
	over := dialFrom(t, "127.0.0.3", addr)
	if got := readAll(t, over); got != "busy\n" {
		t.Fatalf("rejected connection read %q, want %q", got, "busy\n")
	}
	if l.Rejected() != 1 {
		t.Fatalf("Rejected() = %d, want 1", l.Rejected())
	}
	// Another IP is not affected.
	dialFrom(t, "127.0.0.2", addr)
	other := accepted(t, ch)
	if ip := other.RemoteAddr().(*net.TCPAddr).IP.String(); ip != "127.0.0.2" {
		t.Fatalf("accepted %s, want the connection from 127.0.0.2", ip)
	}
	// Closing one frees its slot, once, however often it is closed.
	held[0].Close()
	held[0].Close()
	if n := l.Open("127.0.0.3"); n != 2 {
		t.Fatalf("after a close Open(127.0.0.3) = %d, want 2", n)
	}
	dialFrom(t, "127.0.0.3", addr)
	accepted(t, ch)
	if n := l.Open("127.0.0.3"); n != 3 {
		t.Fatalf("Open(127.0.0.3) = %d, want 3", n)
	}
}

func TestListenerZeroLimitIsUnlimited(t *testing.T) {
	l := listen(t, Config{})
	ch := serve(t, l)
	for i := 0; i < 20; i++ {
		dialFrom(t, "127.0.0.3", l.Addr().String())
		accepted(t, ch)
	}
	if l.Rejected() != 0 || l.Open("127.0.0.3") != 20 {
		t.Fatalf("Rejected() = %d, Open = %d; want 0 and 20", l.Rejected(), l.Open("127.0.0.3"))
	}
}

// A peer that never reads its answer loses the connection after
// WriteStallTimeout, and its slot is free again.
func TestListenerWriteStallClosesConnection(t *testing.T) {
	l := listen(t, Config{MaxConnsPerIP: 1, WriteStallTimeout: 200 * time.Millisecond})
	ch := serve(t, l)
	dialFrom(t, "127.0.0.3", l.Addr().String()) // never reads
	c := accepted(t, ch)
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := c.Write(chunk); err != nil {
				errc <- err
				return
			}
		}
	}()
	select {
	case err := <-errc:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("write error = %v, want a timeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writes to a peer that does not read never failed")
	}
	if n := l.Open("127.0.0.3"); n != 0 {
		t.Fatalf("Open(127.0.0.3) = %d after the stalled write, want 0", n)
	}
}
