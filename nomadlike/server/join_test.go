package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// testKey is a fixed 32-byte cluster key.
var testKey = bytes.Repeat([]byte{7}, 32)

// tcpCluster starts n servers on real TCP that join each other with
// RetryJoin and bootstrap together, all with key (nil for none), and waits
// until every one sees n voters and a leader.
func tcpCluster(t *testing.T, n int, key []byte) []*Server {
	t.Helper()
	return tcpClusterWith(t, n, func(c *Config) { c.EncryptKey = key })
}

// tcpClusterWith is tcpCluster with each server's config changed by mod.
func tcpClusterWith(t *testing.T, n int, mod func(*Config)) []*Server {
	t.Helper()
	addrs := freePorts(t, n)
	var servers []*Server
	for i, a := range addrs {
		cfg := testConfig(t)
		cfg.RaftTransport = nil
		cfg.Dev = false
		cfg.DataDir = t.TempDir()
		cfg.RPCAddr = a
		cfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", 24646+i)
		cfg.BootstrapExpect = n
		cfg.RetryInterval = 20 * time.Millisecond
		mod(&cfg)
		for _, o := range addrs {
			if o != a {
				cfg.RetryJoin = append(cfg.RetryJoin, o)
			}
		}
		servers = append(servers, startServer(t, cfg))
	}
	waitLeader(t, servers...)
	poll.Until(t, 10*time.Second, "every server sees the voters and a leader", func() (bool, string) {
		for _, s := range servers {
			if p := s.Peers(); len(p) != n {
				return false, fmt.Sprintf("%s sees %d peers", s.cfg.NodeName, len(p))
			}
			if _, http := s.Leader(); http == "" {
				return false, s.cfg.NodeName + " knows no leader HTTP address"
			}
		}
		return true, ""
	})
	return servers
}

// idleServer starts a server on real TCP that waits to be added to a
// cluster (it never bootstraps on its own).
func idleServer(t *testing.T, key []byte) *Server {
	t.Helper()
	cfg := testConfig(t)
	cfg.RaftTransport = nil
	cfg.Dev = false
	cfg.DataDir = t.TempDir()
	cfg.RPCAddr = freePorts(t, 1)[0]
	cfg.BootstrapExpect = 2
	cfg.EncryptKey = key
	return startServer(t, cfg)
}

// unusedAddr is a loopback address where nothing listens.
func unusedAddr(t *testing.T) string {
	t.Helper()
	return freePorts(t, 1)[0]
}

func peerIDs(s *Server) map[string]string {
	out := map[string]string{}
	for _, p := range s.Peers() {
		out[p.ID] = p.Address
	}
	return out
}

// TestAddPeerRefusesAnAddressThatDoesNotAnswer is the HTTP raft join attack
// at the server: a bogus ID at an address where no server answers, or an
// address whose server has another ID, never becomes a voter.
func TestAddPeerRefusesAnAddressThatDoesNotAnswer(t *testing.T) {
	for _, key := range [][]byte{nil, testKey} {
		t.Run(fmt.Sprintf("key=%v", key != nil), func(t *testing.T) {
			servers := tcpCluster(t, 1, key)
			leader := servers[0]
			before := fmt.Sprint(peerIDs(leader))
			other := idleServer(t, key) // a real server, with another ID
			cases := []struct {
				name, id, addr string
			}{
				{"nothing listens", "evil", unusedAddr(t)},
				{"another ID answers", "evil", other.RPCAddr()},
				{"this server", "", leader.RPCAddr()},
			}
			for _, tc := range cases {
				err := leader.AddPeer(tc.id, tc.addr)
				if !errors.Is(err, nomadlike.ErrValidation) {
					t.Errorf("%s: AddPeer(%q, %s) = %v, want ErrValidation", tc.name, tc.id, tc.addr, err)
				}
			}
			if after := fmt.Sprint(peerIDs(leader)); after != before {
				t.Fatalf("raft configuration changed: %s, was %s", after, before)
			}
		})
	}
}

// rawJoin speaks the join protocol by hand: the nonce exchange, then one
// request message carrying mac (nil: no proof), and returns what comes
// back (io.EOF when the server closed the connection without answering).
func rawJoin(t *testing.T, addr string, req joinRequest, mac func(s *session, body []byte) []byte) (*joinResponse, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	s := &session{}
	copy(s.cn[:], bytes.Repeat([]byte{1}, nonceSize))
	var hello [1 + nonceSize]byte
	if _, err := conn.Write(append([]byte{connJoin}, s.cn[:]...)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, hello[:]); err != nil {
		t.Fatalf("read handshake: %v", err)
	}
	copy(s.sn[:], hello[1:])
	body, _ := json.Marshal(req)
	msg := signedMsg{Body: body}
	if mac != nil {
		msg.MAC = mac(s, body)
	}
	if err := json.NewEncoder(conn).Encode(&msg); err != nil {
		t.Fatal(err)
	}
	var out signedMsg
	if err := json.NewDecoder(conn).Decode(&out); err != nil {
		return nil, err
	}
	var resp joinResponse
	if err := json.Unmarshal(out.Body, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp, nil
}

// TestJoinWithoutTheKeyIsRefused performs the RPC-port join attack against
// a keyed cluster: no proof, a wrong key, and an unkeyed caller all get the
// connection closed, and nothing is added. A raft connection with a wrong
// key is refused too.
func TestJoinWithoutTheKeyIsRefused(t *testing.T) {
	servers := tcpCluster(t, 1, testKey)
	leader := servers[0]
	before := fmt.Sprint(peerIDs(leader))
	// A real server that would answer the leader's probe, so that only
	// the key decides.
	joiner := idleServer(t, testKey)
	req := joinRequest{Self: joiner.self()}
	wrong := bytes.Repeat([]byte{9}, 32)

	if _, err := rawJoin(t, leader.RPCAddr(), req, nil); !errors.Is(err, io.EOF) {
		t.Errorf("join without proof: got %v, want the connection closed (EOF)", err)
	}
	if _, err := rawJoin(t, leader.RPCAddr(), req, func(s *session, body []byte) []byte {
		w := &session{key: wrong, cn: s.cn, sn: s.sn}
		return w.mac(labelJoinRequest, body)
	}); !errors.Is(err, io.EOF) {
		t.Errorf("join with a wrong key: got %v, want the connection closed (EOF)", err)
	}
	if _, err := callJoin(leader.RPCAddr(), wrong, nil, &req, 5*time.Second); !errors.Is(err, ErrClusterKey) {
		t.Errorf("callJoin with a wrong key = %v, want ErrClusterKey", err)
	}
	if _, err := callJoin(leader.RPCAddr(), nil, nil, &req, 5*time.Second); !errors.Is(err, ErrClusterKey) {
		t.Errorf("callJoin without a key = %v, want ErrClusterKey", err)
	}
	conn, err := net.Dial("tcp", leader.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte{connRaft}); err != nil {
		t.Fatal(err)
	}
	if err := dialRaft(conn, wrong); !errors.Is(err, ErrClusterKey) {
		t.Errorf("raft connection with a wrong key = %v, want ErrClusterKey", err)
	}
	if after := fmt.Sprint(peerIDs(leader)); after != before {
		t.Fatalf("raft configuration changed: %s, was %s", after, before)
	}

	// The right key, by contrast, joins.
	if _, err := callJoin(leader.RPCAddr(), testKey, nil, &req, 5*time.Second); err != nil {
		t.Fatalf("join with the key: %v", err)
	}
	if _, ok := peerIDs(leader)[joiner.ID()]; !ok {
		t.Fatalf("the keyed server was not added: %v", peerIDs(leader))
	}
}

// TestJoinCannotRewriteAMember: a caller reports another server's record
// with its own HTTP address (followers forward writes there), both in the
// member list and as its own record; the server keeps what that member said
// of itself.
func TestJoinCannotRewriteAMember(t *testing.T) {
	servers := tcpCluster(t, 2, nil)
	a, b := servers[0], servers[1]
	real := b.self()
	evil := real
	evil.HTTPAddr = "127.0.0.1:1"
	// A third party's list: ignored for a known member.
	if _, err := rawJoin(t, a.RPCAddr(), joinRequest{Self: member{ID: "attacker", RPCAddr: unusedAddr(t)}, Known: []member{evil}}, nil); err != nil {
		t.Fatalf("join: %v", err)
	}
	// A caller claiming to be b at b's address: a asks b, b answers with
	// its real record.
	if _, err := rawJoin(t, a.RPCAddr(), joinRequest{Self: evil}, nil); err != nil {
		t.Fatalf("join: %v", err)
	}
	// A caller claiming to be b at another address: nobody confirms it.
	moved := evil
	moved.RPCAddr = unusedAddr(t)
	resp, err := rawJoin(t, a.RPCAddr(), joinRequest{Self: moved}, nil)
	if err != nil || resp.Error == "" {
		t.Fatalf("join as b at another address = %+v, %v; want a refusal", resp, err)
	}
	a.membersMu.Lock()
	got := a.members[real.ID]
	a.membersMu.Unlock()
	if got != real {
		t.Fatalf("a's record of b = %+v, want b's own %+v", got, real)
	}
	if addr := peerIDs(a)[real.ID]; addr != real.RPCAddr {
		t.Fatalf("b's raft address = %q, want %q", addr, real.RPCAddr)
	}
}
