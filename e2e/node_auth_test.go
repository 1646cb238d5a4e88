package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/httpapi/httpapitest"
)

// Node calls are authenticated by the node's SecretID, and servers forward
// client requests only to the address a node registered or heartbeats
// from (issue #10, item 5). These tests make the attacks over HTTP against
// real agents.

// nodeCall sends one raw request as an attacker would, the token (if
// any) in X-Nomad-Token.
func nodeCall(ctx context.Context, t *testing.T, method, url, token string, body any, hdr ...string) (int, string) {
	t.Helper()
	if token != "" {
		hdr = append(hdr, "X-Nomad-Token", token)
	}
	return httpapitest.Do(ctx, t, method, url, body, hdr...)
}

// TestNodeCallsNeedSecret: on a real dev agent running a raw_exec task, an
// anonymous caller (or one with a wrong secret, or another node's) cannot
// mark the running allocation failed, heartbeat the node, take over its ID
// by registering again, nor make the server dial an address of its choosing
// by registering a rogue node; the agent's own client keeps working.
func TestNodeCallsNeedSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "raw_exec")
	base := "http://" + a.HTTPAddr()
	a.mustCLI(ctx, "job", "run", "-detach", a.writeJob("victim", `job "victim" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3117"]
      }
      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
`))
	alloc := a.waitOneAlloc(ctx, "victim", nomadlike.AllocClientStatusRunning)
	node, _, err := a.api().Nodes().Info(ctx, alloc.NodeID, nil)
	if err != nil {
		t.Fatal(err)
	}

	// A rogue node: a new ID may register (as in Nomad without ACLs), with
	// an HTTP address on a listener the test owns at 127.0.0.2 while the
	// request comes from 127.0.0.1. A forged forwarded-for header does not
	// make the server believe it came from 127.0.0.2.
	trapAddr, trapConns := httpapitest.TrapListener(t, "127.0.0.2:0")
	rogue := &nomadlike.Node{ID: nomadlike.GenerateUUID(), SecretID: nomadlike.GenerateUUID(), Name: "rogue",
		Datacenter: "dc1", HTTPAddr: trapAddr, Status: nomadlike.NodeStatusReady}
	if code, body := nodeCall(ctx, t, "PUT", base+"/v1/client/register", "", map[string]any{"Node": rogue},
		"X-Nomadlike-Forwarded-For", "127.0.0.2"); code != 200 {
		t.Fatalf("register a new node = %d %s, want 200", code, body)
	}
	if code, body := nodeCall(ctx, t, "PUT", base+"/v1/client/heartbeat/"+rogue.ID, rogue.SecretID, map[string]any{"Status": "ready"}); code != 200 {
		t.Fatalf("rogue heartbeat with its own secret = %d %s, want 200", code, body)
	}

	fail := map[string]any{"Allocs": []map[string]any{{"ID": alloc.ID, "ClientStatus": "failed", "ClientDescription": "pwned"}}}
	beat := map[string]any{"Status": "ready"}
	cases := []struct {
		name, method, path, token string
		body                      any
	}{
		{"alloc update without secret", "PUT", "/v1/client/allocations/update", "", fail},
		{"alloc update with a wrong secret", "PUT", "/v1/client/allocations/update", nomadlike.GenerateUUID(), fail},
		{"alloc update with another node's secret", "PUT", "/v1/client/allocations/update", rogue.SecretID, fail},
		{"heartbeat without secret", "PUT", "/v1/client/heartbeat/" + node.ID, "", beat},
		{"heartbeat with a wrong secret", "PUT", "/v1/client/heartbeat/" + node.ID, rogue.SecretID, beat},
		{"register the node's ID with another secret and address", "PUT", "/v1/client/register", "",
			map[string]any{"Node": &nomadlike.Node{ID: node.ID, SecretID: nomadlike.GenerateUUID(), Datacenter: "dc1", HTTPAddr: trapAddr}}},
		{"stats of the rogue node", "GET", "/v1/client/stats?node_id=" + rogue.ID, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := nodeCall(ctx, t, tc.method, base+tc.path, tc.token, tc.body)
			if code != http.StatusForbidden || !strings.Contains(body, "permission denied") {
				t.Errorf("%s %s = %d %q, want 403 permission denied", tc.method, tc.path, code, body)
			}
		})
	}

	if n := trapConns.Load(); n != 0 {
		t.Errorf("the server made %d connections to the rogue node's address %s", n, trapAddr)
	}
	var got nomadlike.Allocation
	if _, err := a.api().Query(ctx, "/v1/allocation/"+alloc.ID, &got, nil); err != nil {
		t.Fatal(err)
	}
	if got.ClientStatus != nomadlike.AllocClientStatusRunning || got.DesiredStatus != nomadlike.AllocDesiredStatusRun {
		t.Errorf("victim allocation after the attacks = %s/%s %q, want run/running", got.DesiredStatus, got.ClientStatus, got.ClientDescription)
	}
	after, _, err := a.api().Nodes().Info(ctx, node.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.HTTPAddr != node.HTTPAddr || after.RegisteredFrom != "127.0.0.1" {
		t.Errorf("node after the attacks: HTTPAddr %s from %s, want %s from 127.0.0.1", after.HTTPAddr, after.RegisteredFrom, node.HTTPAddr)
	}

	// The agent's own client still reports: stopping the job completes
	// its allocation through an authenticated update.
	a.mustCLI(ctx, "job", "stop", "-detach", "victim")
	a.waitOneAlloc(ctx, "victim", nomadlike.AllocClientStatusComplete)
}

// TestNodeForwardingInCluster: in a cluster of three servers and a
// client-only agent (which registers and heartbeats through whichever
// server it reaches, followers forwarding to the leader), every server
// still forwards client requests to the node, whose recorded address is
// the one it came from.
func TestNodeForwardingInCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := newFaultCluster(t, clusterOptions{servers: 3, clients: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	job := sleepJob("fwd", 1, 3119)
	if _, _, err := c.api().Jobs().Register(ctx, job, nil); err != nil {
		t.Fatal(err)
	}
	var allocID, nodeID string
	poll.UntilTrue(c.tb, 60*time.Second, "a running allocation", func() bool {
		allocs, err := jobAllocs(ctx, c.api(), "fwd")
		if err != nil || len(allocs) != 1 || allocs[0].ClientStatus != nomadlike.AllocClientStatusRunning {
			return false
		}
		allocID, nodeID = allocs[0].ID, allocs[0].NodeID
		return true
	})
	node, _, err := c.api().Nodes().Info(ctx, nodeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if node.RegisteredFrom != "127.0.0.1" {
		t.Errorf("node RegisteredFrom = %q, want 127.0.0.1", node.RegisteredFrom)
	}
	for _, s := range c.servers {
		if _, err := s.client.Allocations().Stats(ctx, allocID); err != nil {
			t.Errorf("allocation stats through %s: %v", s.name, err)
		}
		code, body := nodeCall(ctx, t, "GET", "http://"+s.HTTPAddr()+"/v1/client/stats?node_id="+nodeID, "", nil)
		if code != http.StatusOK {
			t.Errorf("node stats through %s = %d %s", s.name, code, body)
		}
	}
}
