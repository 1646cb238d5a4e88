package tlsutil

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

// A client that connects and never says hello loses its connection after
// the handshake timeout and does not hold up a real client behind it.
func TestListenerBoundsSilentHandshakes(t *testing.T) {
	p := newPKI(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(inner, p.configurator(t, RoleServer, func(c *Config) { c.VerifyHTTPSClient = false }).HTTPServer(), 200*time.Millisecond, nil)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("ok"))
			c.Close()
		}
	}()
	silent, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	real, err := tls.Dial("tcp", inner.Addr().String(), p.configurator(t, RoleCLI, nil).Dialer(ServerName("global")))
	if err != nil {
		t.Fatalf("a real client behind a silent one: %v", err)
	}
	b, _ := io.ReadAll(real)
	real.Close()
	if string(b) != "ok" {
		t.Fatalf("read %q", b)
	}
	_ = silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the silent connection was not closed by the server: %v", err)
	}
}
