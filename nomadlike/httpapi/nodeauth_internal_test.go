package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func TestNodeForwardAddr(t *testing.T) {
	node := func(addr, reg, hb, status string) *nomadlike.Node {
		return &nomadlike.Node{ID: "n1", HTTPAddr: addr, RegisteredFrom: reg, HeartbeatFrom: hb, Status: status}
	}
	ready := nomadlike.NodeStatusReady
	cases := []struct {
		name string
		node *nomadlike.Node
		want string
		err  error // nil: allowed
	}{
		{"registered from its address", node("10.0.0.5:4646", "10.0.0.5", "10.0.0.5", ready), "10.0.0.5:4646", nil},
		{"heartbeats from its address", node("10.0.0.5:4646", "10.0.0.9", "10.0.0.5", ready), "10.0.0.5:4646", nil},
		{"URL form", node("http://10.0.0.5:4646", "10.0.0.5", "", ready), "10.0.0.5:4646", nil},
		{"loopback v4 and v6 are one host", node("[::1]:4646", "127.0.0.1", "", ready), "[::1]:4646", nil},
		{"localhost is loopback", node("localhost:4646", "127.0.0.1", "", ready), "127.0.0.1:4646", nil},
		{"IPv4-mapped source", node("10.0.0.5:4646", "::ffff:10.0.0.5", "", ready), "10.0.0.5:4646", nil},
		{"another loopback address", node("127.0.0.2:4646", "127.0.0.1", "127.0.0.1", ready), "", nomadlike.ErrPermission},
		{"another host", node("10.0.0.6:22", "10.0.0.5", "10.0.0.5", ready), "", nomadlike.ErrPermission},
		{"a host name", node("metadata.internal:80", "10.0.0.5", "", ready), "", nomadlike.ErrPermission},
		{"no source known", node("10.0.0.5:4646", "", "", ready), "", nomadlike.ErrPermission},
		{"no port", node("10.0.0.5", "10.0.0.5", "", ready), "", nomadlike.ErrPermission},
		{"down node", node("10.0.0.5:4646", "10.0.0.5", "10.0.0.5", nomadlike.NodeStatusDown), "", nomadlike.ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := nodeForwardAddr(tc.node)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("nodeForwardAddr(%+v) = %q, %v; want %q", tc.node, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("nodeForwardAddr(%+v) = %q, %v; want an error wrapping %v", tc.node, got, err, tc.err)
			}
		})
	}
}

func TestRequestToken(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		want   string
	}{
		{"none", http.Header{}, ""},
		{"X-Nomad-Token", http.Header{"X-Nomad-Token": {"s1"}}, "s1"},
		{"bearer", http.Header{"Authorization": {"Bearer s2"}}, "s2"},
		{"bearer any case", http.Header{"Authorization": {"bearer s3"}}, "s3"},
		{"basic is not a token", http.Header{"Authorization": {"Basic czE6"}}, ""},
		{"X-Nomad-Token first", http.Header{"X-Nomad-Token": {"s1"}, "Authorization": {"Bearer s2"}}, "s1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := requestToken(&http.Request{Header: tc.header}); got != tc.want {
				t.Fatalf("requestToken(%v) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}
