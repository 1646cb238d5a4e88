package agent

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestServerResolver resolves the addresses a client may be given for a
// real server agent: its RPC port (Nomad's form) becomes its HTTP address,
// its HTTP port and a URL stay as they are, and an address where nothing
// listens is errServerUnresolved (tried again on the next call).
func TestServerResolver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, c := devServer(t, func(cfg *Config) { cfg.Server.Encrypt = "cg8StVXbQJ0gPvMd9o7yrg==" })
	waitLeader(ctx, t, c)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	r := newServerResolver(nil)
	for _, tc := range []struct {
		name, addr, want string
		err              error
	}{
		{"RPC port (Nomad's form)", a.rpcAddr, a.HTTPAddr(), nil},
		{"HTTP port", a.HTTPAddr(), a.HTTPAddr(), nil},
		{"URL", "http://" + a.HTTPAddr(), "http://" + a.HTTPAddr(), nil},
		{"nothing listens", dead, "", errServerUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.HTTPAddr(ctx, tc.addr)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("HTTPAddr(%q) = %q, %v; want %q, %v", tc.addr, got, err, tc.want, tc.err)
			}
		})
	}
	r.mu.Lock()
	_, cached := r.cache[dead]
	r.mu.Unlock()
	if cached {
		t.Error("a failed resolution was cached")
	}
}

// TestServerListUsesRPCAddresses: a client's server list given Nomad's
// form (RPC ports), with the first server down, reaches the second one
// through its resolved HTTP address.
func TestServerListUsesRPCAddresses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, c := devServer(t)
	waitLeader(ctx, t, c)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	l, err := newServerList([]string{dead, a.rpcAddr}, newServerResolver(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	var leader string
	if _, err := l.Query(ctx, "/v1/status/leader", &leader, nil); err != nil || leader == "" {
		t.Fatalf("Query through the RPC address = %q, %v", leader, err)
	}
	l.resolver.mu.Lock()
	got, ok := l.resolver.cache[a.rpcAddr]
	l.resolver.mu.Unlock()
	if !ok || got != a.HTTPAddr() {
		t.Errorf("resolved %s to %q, want %q", a.rpcAddr, got, a.HTTPAddr())
	}
}
