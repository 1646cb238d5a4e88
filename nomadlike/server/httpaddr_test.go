package server

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestLookupHTTPAddr asks a keyed server's RPC port for its HTTP address
// without the key (clients do not hold it): the answer is the advertised
// HTTP address, and nothing else is reachable that way (a raft or join
// connection without the key is still refused, see
// TestJoinWithoutTheKeyIsRefused).
func TestLookupHTTPAddr(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"no cluster key", nil}, {"cluster key", testKey}} {
		t.Run(tc.name, func(t *testing.T) {
			s := tcpCluster(t, 1, tc.key)[0]
			got, err := LookupHTTPAddr(s.RPCAddr(), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got != s.cfg.HTTPAddr {
				t.Errorf("LookupHTTPAddr = %q, want %q", got, s.cfg.HTTPAddr)
			}
		})
	}
}

// TestLookupHTTPAddrOfSomethingElse: an address that is not a nomadlike
// RPC port (here a listener that closes at once, as an HTTP server would
// answer garbage) is ErrNoHTTPAddr, not an address.
func TestLookupHTTPAddrOfSomethingElse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	if got, err := LookupHTTPAddr(ln.Addr().String(), 2*time.Second); !errors.Is(err, ErrNoHTTPAddr) {
		t.Errorf("LookupHTTPAddr = %q, %v; want ErrNoHTTPAddr", got, err)
	}
}
