package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// send makes one raw request with the given headers and returns the status
// and body.
func send(t *testing.T, a *Agent, method, path, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+a.HTTPAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// unusedAddr is a loopback address where nothing listens.
func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func raftServers(ctx context.Context, t *testing.T, c *api.Client) int {
	t.Helper()
	rc, err := c.Operator().RaftConfiguration(ctx, nil)
	if err != nil {
		t.Fatalf("raft configuration: %v", err)
	}
	return len(rc.Servers)
}

// TestRaftJoinOfABogusPeerIsRefused is the attack of issue #10 item 6 over
// real HTTP: an anonymous PUT /v1/operator/raft/join naming an address
// where no server answers must not add a voter (it used to, and the cluster
// lost its quorum for good).
func TestRaftJoinOfABogusPeerIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, c := devServer(t)
	waitLeader(ctx, t, c)
	body, _ := json.Marshal(map[string]string{"ID": "evil", "Address": unusedAddr(t)})
	code, msg := send(t, a, http.MethodPut, "/v1/operator/raft/join", string(body), nil)
	if code != http.StatusBadRequest || !strings.Contains(msg, "does not answer as a nomadlike server") {
		t.Fatalf("raft join of a bogus peer = %d %q, want 400 naming the unanswered address", code, msg)
	}
	if n := raftServers(ctx, t, c); n != 1 {
		t.Fatalf("raft configuration has %d servers after the refused join, want 1", n)
	}
	// The cluster still takes writes.
	code, msg = send(t, a, http.MethodGet, "/v1/operator/snapshot", "", nil)
	if code != http.StatusOK {
		t.Fatalf("snapshot after the refused join = %d %q", code, msg)
	}
}

// TestOperatorEndpointsNeedTheKey: with server.encrypt set, raft join, peer
// removal and snapshot save and restore answer 403 without the key as the
// token, and work with it (X-Nomad-Token or Authorization: Bearer).
func TestOperatorEndpointsNeedTheKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	wrong := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("w", 32)))
	a, c := devServer(t, func(c *Config) { c.Server.Encrypt = key })
	waitLeader(ctx, t, c)
	join, _ := json.Marshal(map[string]string{"ID": "evil", "Address": unusedAddr(t)})
	for _, ep := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/operator/snapshot", ""},
		{http.MethodPut, "/v1/operator/snapshot", "garbage"},
		{http.MethodPut, "/v1/operator/raft/join", string(join)},
		{http.MethodDelete, "/v1/operator/raft/peer?id=evil", ""},
	} {
		for name, hdr := range map[string]map[string]string{
			"no token":    nil,
			"wrong token": {"X-Nomad-Token": wrong},
			"raw key":     {"X-Nomad-Token": strings.Repeat("k", 32)},
			"bad bearer":  {"Authorization": "Bearer " + wrong},
		} {
			if code, msg := send(t, a, ep.method, ep.path, ep.body, hdr); code != http.StatusForbidden {
				t.Errorf("%s %s with %s = %d %q, want 403", ep.method, ep.path, name, code, msg)
			}
		}
	}
	if n := raftServers(ctx, t, c); n != 1 {
		t.Fatalf("raft configuration has %d servers, want 1", n)
	}
	if code, msg := send(t, a, http.MethodGet, "/v1/operator/snapshot", "", map[string]string{"X-Nomad-Token": key}); code != http.StatusOK {
		t.Errorf("snapshot save with the key = %d %q, want 200", code, msg)
	}
	if code, msg := send(t, a, http.MethodGet, "/v1/operator/snapshot", "", map[string]string{"Authorization": "Bearer " + key}); code != http.StatusOK {
		t.Errorf("snapshot save with the key as bearer = %d %q, want 200", code, msg)
	}
	// With the key, a bogus join is still refused: the address must answer.
	if code, msg := send(t, a, http.MethodPut, "/v1/operator/raft/join", string(join), map[string]string{"X-Nomad-Token": key}); code != http.StatusBadRequest {
		t.Errorf("raft join of a bogus peer with the key = %d %q, want 400", code, msg)
	}
	if code, msg := send(t, a, http.MethodDelete, "/v1/operator/raft/peer?id=evil", "", map[string]string{"X-Nomad-Token": key}); code != http.StatusNotFound {
		t.Errorf("remove an unknown peer with the key = %d %q, want 404", code, msg)
	}
	// Other endpoints do not need it.
	if _, _, err := c.Jobs().List(ctx, nil); err != nil {
		t.Errorf("list jobs without a token: %v", err)
	}
}
