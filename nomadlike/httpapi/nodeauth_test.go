package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// send makes one raw request to the API with headers (name, value pairs).
func (ta *testAPI) send(t *testing.T, method, path string, body any, hdr ...string) (int, string) {
	t.Helper()
	return httpapitest.Do(testCtx(t), t, method, ta.srv.URL+path, body, hdr...)
}

// TestNodeCallsAuthenticated: heartbeats need the node's secret (header or
// bearer token); a register whose token is not the body's secret is
// refused.
func TestNodeCallsAuthenticated(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	node := fixture.Node()
	if _, err := ta.client.RegisterNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	beat := map[string]any{"Status": "ready"}
	cases := []struct {
		name string
		hdr  []string
		want int
	}{
		{"no secret", nil, http.StatusForbidden},
		{"wrong secret", []string{"X-Nomad-Token", nomadlike.GenerateUUID()}, http.StatusForbidden},
		{"X-Nomad-Token", []string{"X-Nomad-Token", node.SecretID}, http.StatusOK},
		{"bearer", []string{"Authorization", "Bearer " + node.SecretID}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := ta.send(t, "PUT", "/v1/client/heartbeat/"+node.ID, beat, tc.hdr...); code != tc.want {
				t.Fatalf("heartbeat = %d %q, want %d", code, body, tc.want)
			}
		})
	}
	other := fixture.Node()
	code, body := ta.send(t, "PUT", "/v1/client/register", map[string]any{"Node": other}, "X-Nomad-Token", nomadlike.GenerateUUID())
	if code != http.StatusForbidden || !strings.Contains(body, "X-Nomad-Token") {
		t.Fatalf("register with a token that is not Node.SecretID = %d %q, want 403 naming X-Nomad-Token", code, body)
	}
	other.SecretID = ""
	if code, body := ta.send(t, "PUT", "/v1/client/register", map[string]any{"Node": other}); code != http.StatusBadRequest || !strings.Contains(body, "Node.SecretID") {
		t.Fatalf("register without a secret = %d %q, want 400 naming Node.SecretID", code, body)
	}
}

// TestRegisterSourceAddress: the address a registration came from is its
// TCP peer's; X-Nomadlike-Forwarded-For is believed only from another
// server of the cluster, and a follower that forwards a registration
// replaces a forged one with the true source.
func TestRegisterSourceAddress(t *testing.T) {
	leader := newTestAPI(t, httpapitest.NewServer())
	followerFake := httpapitest.NewServer()
	followerFake.SetLeader(false, leader.srv.URL)
	follower := newTestAPI(t, followerFake)
	forged := []string{"X-Nomadlike-Forwarded-For", "10.1.2.3"}
	from := func(ta *testAPI, peerOnLoopback bool) string {
		t.Helper()
		if peerOnLoopback {
			// Another server on this host: its forwarded-for is believed.
			_ = leader.fake.AddPeer("s2", "127.0.0.1:4648")
		}
		n := fixture.Node()
		if code, body := ta.send(t, "PUT", "/v1/client/register", map[string]any{"Node": n}, forged...); code != http.StatusOK {
			t.Fatalf("register = %d %q", code, body)
		}
		got, err := leader.fake.State().NodeByID(nil, n.ID)
		if err != nil || got == nil {
			t.Fatalf("node %s: %v", n.ID, err)
		}
		return got.RegisteredFrom
	}
	if got := from(leader, false); got != "127.0.0.1" {
		t.Errorf("forged forwarded-for from a non-server: RegisteredFrom = %q, want 127.0.0.1", got)
	}
	if got := from(follower, true); got != "127.0.0.1" {
		t.Errorf("forged forwarded-for through a follower: RegisteredFrom = %q, want the true 127.0.0.1", got)
	}
	if got := from(leader, true); got != "10.1.2.3" {
		t.Errorf("forwarded-for from another server: RegisteredFrom = %q, want 10.1.2.3", got)
	}
}

// TestClientRouteForwardsOnlyToNodeAddress: a server forwards a client
// request to a node's HTTPAddr on the address it registered from, and
// refuses, without connecting, an address elsewhere.
func TestClientRouteForwardsOnlyToNodeAddress(t *testing.T) {
	ta := newTestAPI(t, httpapitest.NewServer())
	ctx := testCtx(t)
	goodAddr, goodConns := httpapitest.TrapListener(t, "127.0.0.1:0")
	trapAddr, trapConns := httpapitest.TrapListener(t, "127.0.0.2:0")
	good, rogue := fixture.Node(), fixture.Node()
	good.HTTPAddr, rogue.HTTPAddr = goodAddr, trapAddr
	for _, n := range []*nomadlike.Node{good, rogue} {
		if _, err := ta.client.RegisterNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := ta.send(t, "GET", "/v1/client/stats?node_id="+good.ID, nil); code != http.StatusOK || goodConns.Load() == 0 {
		t.Fatalf("stats of a node at its own address = %d %q (%d connections), want it forwarded", code, body, goodConns.Load())
	}
	code, body := ta.send(t, "GET", "/v1/client/stats?node_id="+rogue.ID, nil)
	if code != http.StatusForbidden || !strings.Contains(body, trapAddr) || !strings.Contains(body, "127.0.0.1") {
		t.Errorf("stats of a node whose address is elsewhere = %d %q, want 403 naming both addresses", code, body)
	}
	if n := trapConns.Load(); n != 0 {
		t.Errorf("the server connected %d times to %s", n, trapAddr)
	}
}
