package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Node authentication at the HTTP boundary. A client agent sends its
// node's SecretID on every node call (register, heartbeat, allocation
// updates) as Nomad's clients send their token: X-Nomad-Token, or
// "Authorization: Bearer". The servers check it (see server.NodeHeartbeat)
// and record the source IP of registrations and heartbeats, and they
// forward client requests (logs, stats, exec...) to a node's HTTPAddr only
// when that address is on one of those IPs: a request cannot make a server
// dial an address of its choosing.

// tokenHeader carries the caller's secret, as in Nomad.
const tokenHeader = "X-Nomad-Token"

// forwardedForHeader carries the source IP of a request one agent forwards
// to another. It is believed only from another server of the cluster (see
// sourceIP), so that a follower can pass on the address a client
// registered from.
const forwardedForHeader = "X-Nomadlike-Forwarded-For"

// requestToken returns the secret the request carries: X-Nomad-Token, else
// an "Authorization: Bearer" token; "" when none.
func requestToken(r *http.Request) string { return api.RequestToken(r) }

// hostIP returns the IP of a "host:port" (or bare host) address, unmapped
// from IPv4-in-IPv6; invalid when host is not an IP literal.
func hostIP(addr string) netip.Addr {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.WithZone("").Unmap()
}

// sourceIP is the IP the request came from: its TCP peer, or, on the
// leader, the address a follower that forwarded it names in
// X-Nomadlike-Forwarded-For. "" when unknown (in-process requests).
func (h *Handler) sourceIP(r *http.Request) string {
	direct := hostIP(r.RemoteAddr)
	if fwd := r.Header.Get(forwardedForHeader); fwd != "" && h.fromOtherServer(direct) {
		if ip := hostIP(fwd); ip.IsValid() {
			return ip.String()
		}
	}
	if !direct.IsValid() {
		return ""
	}
	return direct.String()
}

// fromOtherServer reports whether ip is the host of another server of the
// raft configuration while this one leads: only the leader receives
// forwarded node calls, and never from itself, so a client on the
// leader's own host cannot pass a forged source address off as
// forwarded.
func (h *Handler) fromOtherServer(ip netip.Addr) bool {
	srv := h.cfg.Server
	if srv == nil || !ip.IsValid() || !srv.IsLeader() {
		return false
	}
	for _, p := range srv.Peers() {
		if p.Leader {
			continue
		}
		if hostIP(p.Address) == ip || hostIP(p.HTTPAddr) == ip {
			return true
		}
	}
	return false
}

// nodeForwardAddr returns the "ip:port" the servers may forward a client
// request for node n to: its HTTPAddr, when the node is ready and that
// address's host is the IP its registration or heartbeats came from (the
// IPv4 and IPv6 loopback addresses count as one host; "localhost" is
// loopback). Otherwise it fails with an error wrapping
// nomadlike.ErrPermission (address) or nomadlike.ErrConflict (status).
func nodeForwardAddr(n *nomadlike.Node) (string, error) {
	if n.Status != nomadlike.NodeStatusReady {
		return "", fmt.Errorf("node %s is %s, not ready: %w: its client cannot be reached", n.ID, n.Status, nomadlike.ErrConflict)
	}
	raw := n.HTTPAddr
	if i := strings.Index(raw, "://"); i >= 0 {
		u, err := url.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("node %s: %w: HTTP address %q does not parse", n.ID, nomadlike.ErrPermission, raw)
		}
		raw = u.Host
	}
	host, port, err := net.SplitHostPort(raw)
	if err != nil || port == "" {
		return "", fmt.Errorf("node %s: %w: HTTP address %q is not host:port", n.ID, nomadlike.ErrPermission, n.HTTPAddr)
	}
	ip := hostIP(host)
	if strings.EqualFold(host, "localhost") {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	for _, from := range []string{n.RegisteredFrom, n.HeartbeatFrom} {
		if f := hostIP(from); ip.IsValid() && f.IsValid() && sameHost(ip, f) {
			return net.JoinHostPort(ip.String(), port), nil
		}
	}
	return "", fmt.Errorf("node %s: %w: its HTTP address %q is not on the address it registered or heartbeats from (%s); "+
		"refusing to forward the request there", n.ID, nomadlike.ErrPermission, n.HTTPAddr, fromList(n))
}

// sameHost: equal IPs, or the IPv4 and IPv6 loopback addresses.
func sameHost(a, b netip.Addr) bool {
	if a == b {
		return true
	}
	lo4, lo6 := netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()
	return (a == lo4 || a == lo6) && (b == lo4 || b == lo6)
}

func fromList(n *nomadlike.Node) string {
	switch {
	case n.RegisteredFrom == "" && n.HeartbeatFrom == "":
		return "unknown"
	case n.HeartbeatFrom == "" || n.HeartbeatFrom == n.RegisteredFrom:
		return n.RegisteredFrom
	case n.RegisteredFrom == "":
		return n.HeartbeatFrom
	}
	return n.RegisteredFrom + ", " + n.HeartbeatFrom
}
