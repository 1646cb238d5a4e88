package server

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

// testPKI writes a CA and a certificate per role into a temp dir and
// returns a function making the RPCTLS of a role (verify_server_hostname
// on).
func testPKI(t *testing.T) func(role string) *RPCTLS {
	t.Helper()
	dir := t.TempDir()
	ca, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", ca.Cert)
	return func(role string) *RPCTLS {
		o, err := tlsutil.RoleOptions(role, "global", "", 0, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tlsutil.GenerateCert(ca, o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tlsutil.New(tlsutil.Config{CAFile: caFile, CertFile: write(role+".pem", pair.Cert),
			KeyFile: write(role+"-key.pem", pair.Key), Region: "global", VerifyServerHostname: true})
		if err != nil {
			t.Fatal(err)
		}
		return &RPCTLS{Server: c.RPCServer(), Client: c.RPCClient()}
	}
}

// TestRPCOverTLS: servers with server certificates form a cluster over a
// TLS RPC port (with the cluster key inside); a client certificate of the
// same CA, another CA's server certificate and plaintext cannot join or
// open a raft stream.
func TestRPCOverTLS(t *testing.T) {
	issue := testPKI(t)
	serverTLS := issue(tlsutil.RoleServer)
	servers := tcpClusterWith(t, 2, func(c *Config) { c.EncryptKey = testKey; c.RPCTLS = serverTLS })
	leader := servers[0]
	before := fmt.Sprint(peerIDs(leader))
	joiner := idleServer(t, testKey) // answers probes; only TLS decides
	req := joinRequest{Self: joiner.self()}

	clientCert := issue(tlsutil.RoleClient)
	// The attacker skips checking the server and presents its own cert.
	clientCert.Client.VerifyConnection = nil
	otherCA := testPKI(t)(tlsutil.RoleServer)
	otherCA.Client.VerifyConnection = nil
	cases := []struct {
		name string
		tls  *RPCTLS
	}{
		{"client certificate posing as a server", clientCert},
		{"server certificate of another CA", otherCA},
		{"plaintext", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := callJoin(leader.RPCAddr(), testKey, tc.tls, &req, 5*time.Second); err == nil {
				t.Fatal("join accepted")
			}
			if err := rawRaftStream(leader.RPCAddr(), tc.tls); err == nil {
				t.Fatal("raft stream accepted")
			}
		})
	}
	if after := fmt.Sprint(peerIDs(leader)); after != before {
		t.Fatalf("raft configuration changed: %s, was %s", after, before)
	}
	if err := rawRaftStream(leader.RPCAddr(), serverTLS); err != nil {
		t.Fatalf("a server's raft stream was refused: %v", err)
	}
}

// rawRaftStream opens a raft stream the way a peer does and reads the
// callee's answer to the key handshake.
func rawRaftStream(addr string, t *RPCTLS) error {
	conn, err := t.dial(addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte{connRaft}); err != nil {
		return err
	}
	return dialRaft(conn, testKey)
}

// A TLS port that is sent plaintext closes the connection without reading
// past the TLS record (it never sees a connection type byte).
func TestRPCOverTLSRefusesPlaintextFirstByte(t *testing.T) {
	issue := testPKI(t)
	srv := issue(tlsutil.RoleServer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan struct{}, 1)
	m := newMuxListener(ln, ln.Addr(), func(c net.Conn) { joined <- struct{}{}; c.Close() }, nil, nil, hclog.NewNullLogger(), time.Second, srv)
	defer m.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = conn.Write([]byte{connJoin})
	_, _ = io.ReadAll(conn) // an alert, then the server closes
	select {
	case <-joined:
		t.Fatal("a plaintext join reached the join handler")
	default:
	}
}
