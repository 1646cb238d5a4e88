package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/drivers/testing/poll"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// mTLS (issue #11): a 3-server cluster and a client agent with
// tls { http rpc verify_server_hostname verify_https_client } and ACLs on,
// set up with the CLI (tls ca/cert create, acl bootstrap, job run with
// -ca-cert/-client-cert/-client-key), then attacked.

// tlsFiles are the certificate files of one CA, made by the CLI.
type tlsFiles struct{ dir string }

func (f tlsFiles) path(name string) string { return filepath.Join(f.dir, name) }

// makeTLSFiles runs `tls ca create` and `tls cert create` for every role in
// a new directory.
func makeTLSFiles(ctx context.Context, t *testing.T) tlsFiles {
	t.Helper()
	f := tlsFiles{dir: t.TempDir()}
	for _, args := range [][]string{{"ca", "create"}, {"cert", "create", "-server"}, {"cert", "create", "-client"}, {"cert", "create", "-cli"}} {
		runIn(ctx, t, f.dir, append([]string{"tls"}, args...)...)
	}
	return f
}

// runIn runs the CLI in dir and fails the test unless it succeeds.
func runIn(ctx context.Context, t *testing.T, dir string, args ...string) string {
	t.Helper()
	return runInEnv(ctx, t, dir, nil, args...)
}

// runInEnv is runIn with extra environment variables (NOMAD_TOKEN=...).
func runInEnv(ctx context.Context, t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, nomadlikeBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nomadlike %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// tlsBlock is an agent's tls block for role ("server" or "client").
func (f tlsFiles) tlsBlock(role string) string {
	return fmt.Sprintf(`tls {
  http                   = true
  rpc                    = true
  ca_file                = %q
  cert_file              = %q
  key_file               = %q
  verify_server_hostname = true
  verify_https_client    = true
}
acl {
  enabled = true
}
`, f.path("nomad-agent-ca.pem"), f.path("global-"+role+"-nomad.pem"), f.path("global-"+role+"-nomad-key.pem"))
}

// cliFlags are the CLI's TLS flags with the CLI certificate.
func (f tlsFiles) cliFlags() []string {
	return []string{"-ca-cert", f.path("nomad-agent-ca.pem"), "-client-cert", f.path("global-cli-nomad.pem"), "-client-key", f.path("global-cli-nomad-key.pem")}
}

// httpsClient is an HTTP client trusting f's CA and presenting role's
// certificate ("" for none).
func (f tlsFiles) httpsClient(t *testing.T, role string) *http.Client {
	t.Helper()
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: f.tlsConfig(t, role, f)}}
}

// tlsConfig trusts trust's CA and presents f's role certificate.
func (f tlsFiles) tlsConfig(t *testing.T, role string, trust tlsFiles) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(trust.path("nomad-agent-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool} // every agent certificate names 127.0.0.1
	if role != "" {
		pair, err := tls.LoadX509KeyPair(f.path("global-"+role+"-nomad.pem"), f.path("global-"+role+"-nomad-key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

// startTLSCluster starts 3 servers and one client agent with f's
// certificates and ACLs on, bootstraps ACLs with the CLI and returns the
// cluster (its API clients carry the management token) and the token.
func startTLSCluster(ctx context.Context, t *testing.T, f tlsFiles) (*faultCluster, string) {
	t.Helper()
	if err := becomeSubreaper(); err != nil {
		t.Fatalf("become child subreaper: %v", err)
	}
	c := &faultCluster{tb: t, dir: t.TempDir()}
	t.Cleanup(c.cleanup)
	ports := portsTB(t, 7)
	write := func(name, src string) string {
		p := filepath.Join(c.dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	serverCfg := write("server.hcl", f.tlsBlock("server"))
	clientCfg := write("client.hcl", f.tlsBlock("client")+"plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n")
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("server%d", i)
		args := []string{"agent", "-server", "-bootstrap-expect", "3", "-node", name, "-bind", "127.0.0.1",
			"-data-dir", filepath.Join(c.dir, name), "-http-port", strconv.Itoa(ports[2*i]), "-rpc-port", strconv.Itoa(ports[2*i+1]),
			"-config", serverCfg, "-log-level", "DEBUG"}
		for j := 0; j < 3; j++ {
			if j != i {
				args = append(args, "-retry-join", "127.0.0.1:"+strconv.Itoa(ports[2*j+1]))
			}
		}
		c.servers = append(c.servers, c.newAgent(name, args, ports[2*i], ports[2*i+1]))
	}
	args := []string{"agent", "-client", "-node", "client0", "-bind", "127.0.0.1", "-data-dir", filepath.Join(c.dir, "client0"),
		"-http-port", strconv.Itoa(ports[6]), "-config", clientCfg, "-log-level", "DEBUG"}
	for _, s := range c.servers {
		args = append(args, "-servers", s.HTTPAddr())
	}
	c.clients = append(c.clients, c.newAgent("client0", args, ports[6], 0))

	useTLS := func(token string) {
		for _, a := range append(append([]*faultAgent(nil), c.servers...), c.clients...) {
			cl, err := api.NewClient(api.Config{Address: "https://" + a.HTTPAddr(), Token: token,
				HTTPClient: f.httpsClient(t, "cli")})
			if err != nil {
				t.Fatal(err)
			}
			a.client = cl
		}
	}
	useTLS("")
	for _, s := range c.servers {
		s.Start()
	}
	c.waitLeader(c.servers, 90*time.Second)

	out := runIn(ctx, t, c.dir, append([]string{"acl", "bootstrap", "-json", "-address", "https://" + c.servers[0].HTTPAddr()}, f.cliFlags()...)...)
	var tok nomadlike.ACLToken
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.SecretID == "" {
		t.Fatalf("acl bootstrap printed %q: %v", out, err)
	}
	useTLS(tok.SecretID)
	c.clients[0].Start()
	c.waitClientsReady(90 * time.Second)
	return c, tok.SecretID
}

const tlsJob = `job "tls-web" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo tls-secret-output; exec sleep 3600"]
      }
      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
`

func TestTLSClusterWithACLs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := makeTLSFiles(ctx, t)
	other := makeTLSFiles(ctx, t) // another CA, the same role names
	c, token := startTLSCluster(ctx, t, f)
	srv := c.servers[0]
	base := "https://" + srv.HTTPAddr()

	// The job runs, submitted by the CLI over mTLS with the management token.
	jobFile := filepath.Join(c.dir, "tls-web.nomad.hcl")
	if err := os.WriteFile(jobFile, []byte(tlsJob), 0o644); err != nil {
		t.Fatal(err)
	}
	runInEnv(ctx, t, c.dir, []string{"NOMAD_TOKEN=" + token}, append([]string{"job", "run", "-detach", "-address", base}, append(f.cliFlags(), jobFile)...)...)
	var alloc *nomadlike.AllocListStub
	poll.UntilTrue(c.tb, 90*time.Second, "the job's allocation running", func() bool {
		allocs, _, err := c.api().Jobs().Allocations(ctx, "tls-web", false, nil)
		if err == nil && len(allocs) == 1 && allocs[0].ClientStatus == nomadlike.AllocClientStatusRunning {
			alloc = allocs[0]
			return true
		}
		return false
	})
	// Logs through a server, forwarded to the node over HTTPS, with the token.
	logsURL := fmt.Sprintf("%s/v1/client/fs/logs/%s?task=t&type=stdout&plain=true", base, alloc.ID)
	poll.UntilTrue(c.tb, 30*time.Second, "the task's log through the server", func() bool {
		code, body := tlsCall(ctx, f.httpsClient(t, "cli"), "GET", logsURL, token, nil)
		return code == 200 && strings.Contains(body, "tls-secret-output")
	})
	peersBefore := raftPeerCount(ctx, t, c.api())

	t.Run("plaintext HTTP is refused", func(t *testing.T) {
		code, body := tlsCall(ctx, &http.Client{Timeout: 10 * time.Second}, "GET", "http://"+srv.HTTPAddr()+"/v1/jobs", token, nil)
		if code == 200 || strings.Contains(body, "tls-web") {
			t.Fatalf("plain HTTP got %d %s", code, body)
		}
		if code, out := runCLI(ctx, t, "job", "status", "-address", "http://"+srv.HTTPAddr()); code == 0 {
			t.Fatalf("the CLI over plain HTTP succeeded: %s", out)
		}
	})
	t.Run("HTTPS without a client certificate is refused", func(t *testing.T) {
		if code, body := tlsCall(ctx, f.httpsClient(t, ""), "GET", base+"/v1/jobs", token, nil); code != 0 {
			t.Fatalf("got %d %s, want the handshake refused", code, body)
		}
		args := []string{"job", "status", "-address", base, "-ca-cert", f.path("nomad-agent-ca.pem")}
		if code, out := runCLI(ctx, t, args...); code == 0 || !strings.Contains(out, "certificate required") {
			t.Fatalf("the CLI without a client certificate: exit %d: %s", code, out)
		}
	})
	t.Run("a client certificate of another CA is refused", func(t *testing.T) {
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: other.tlsConfig(t, "cli", f)}}
		if code, body := tlsCall(ctx, hc, "GET", base+"/v1/jobs", token, nil); code != 0 {
			t.Fatalf("got %d %s, want the handshake refused", code, body)
		}
	})
	t.Run("the CLI refuses a server of another CA", func(t *testing.T) {
		args := []string{"job", "status", "-address", base, "-ca-cert", other.path("nomad-agent-ca.pem"),
			"-client-cert", f.path("global-cli-nomad.pem"), "-client-key", f.path("global-cli-nomad-key.pem")}
		if code, out := runCLI(ctx, t, args...); code == 0 || !strings.Contains(out, "certificate") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("the RPC port refuses a client certificate, another CA and plaintext", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			cfg  *tls.Config
		}{
			{"client certificate (client.global.nomad)", f.tlsConfig(t, "client", f)},
			{"CLI certificate", f.tlsConfig(t, "cli", f)},
			{"server certificate of another CA", other.tlsConfig(t, "server", f)},
			{"plaintext", nil},
		} {
			for _, kind := range []byte{'R', 'J'} {
				if got := rpcProbe(srv.RPCAddr(), tc.cfg, kind); got != "" {
					t.Errorf("%s, %q connection: the RPC port answered %q", tc.name, kind, got)
				}
			}
		}
		// The control: a server's certificate gets the key handshake's answer.
		if got := rpcProbe(srv.RPCAddr(), f.tlsConfig(t, "server", f), 'J'); got == "" {
			t.Error("a server certificate got no answer on the RPC port: the probe proves nothing")
		}
		if n := raftPeerCount(ctx, t, c.api()); n != peersBefore {
			t.Fatalf("raft peers %d, were %d", n, peersBefore)
		}
	})
	t.Run("with ACLs the earlier attacks fail without a token", func(t *testing.T) {
		hc := f.httpsClient(t, "cli") // a valid certificate: only the token is missing
		node := c.clients[0]
		rogue := map[string]any{"ID": nomadlike.GenerateUUID(), "Address": "127.0.0.1:1"}
		for _, tc := range []struct{ method, url string }{
			{"PUT", base + "/v1/operator/raft/join"},
			{"GET", base + "/v1/node/" + alloc.NodeID + "/allocations"},
			{"PUT", base + "/v1/client/heartbeat/" + alloc.NodeID},
			{"GET", logsURL},
			{"GET", "https://" + node.HTTPAddr() + "/v1/client/fs/logs/" + alloc.ID + "?task=t&type=stdout&plain=true"},
		} {
			code, body := tlsCall(ctx, hc, tc.method, tc.url, "", rogue)
			if code != http.StatusForbidden || strings.Contains(body, "tls-secret-output") {
				t.Errorf("%s %s without a token = %d %s, want 403", tc.method, tc.url, code, body)
			}
		}
		if n := raftPeerCount(ctx, t, c.api()); n != peersBefore {
			t.Fatalf("raft peers %d, were %d", n, peersBefore)
		}
	})
	t.Run("SIGHUP reloads the certificate and keeps the cluster", func(t *testing.T) {
		testTLSReload(ctx, t, c, f, token)
	})
}

// testTLSReload issues a new server certificate from the same CA, puts it
// in place of server0's files, sends SIGHUP, and checks that new
// connections see it while the cluster keeps its leader and takes writes.
func testTLSReload(ctx context.Context, t *testing.T, c *faultCluster, f tlsFiles, token string) {
	srv := c.servers[0]
	before := peerSerial(t, srv.HTTPAddr(), f)
	fresh := t.TempDir()
	for _, name := range []string{"nomad-agent-ca.pem", "nomad-agent-ca-key.pem"} {
		b, err := os.ReadFile(f.path(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fresh, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runIn(ctx, t, fresh, "tls", "cert", "create", "-server")
	for _, name := range []string{"global-server-nomad.pem", "global-server-nomad-key.pem"} {
		// Key first then certificate would leave a window of a mismatched
		// pair; a reload only happens on the signal, after both moved.
		if err := os.Rename(filepath.Join(fresh, name), f.path(name)); err != nil {
			t.Fatal(err)
		}
	}
	leader := c.waitLeader(c.servers, 30*time.Second)
	if err := srv.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll.UntilTrue(c.tb, 30*time.Second, "new connections see the new certificate", func() bool {
		s := peerSerial(t, srv.HTTPAddr(), f)
		return s != "" && s != before
	})
	if l := c.waitLeader(c.servers, 30*time.Second); l != leader {
		t.Fatalf("the leader changed from %s to %s", leader.name, l.name)
	}
	// Writes still commit, through server0's reloaded listener.
	runInEnv(ctx, t, c.dir, []string{"NOMAD_TOKEN=" + token}, append([]string{"job", "stop", "-detach", "-address", "https://" + srv.HTTPAddr()}, append(f.cliFlags(), "tls-web")...)...)
}

// peerSerial is the serial of the certificate a new HTTPS connection to
// addr sees ("" when none).
func peerSerial(t *testing.T, addr string, f tlsFiles) string {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, f.tlsConfig(t, "cli", f))
	if err != nil {
		return ""
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// rpcProbe opens a connection to a server's RPC port (TLS with cfg, or
// plain when nil), sends kind and the first bytes of the key handshake,
// and returns what came back ("" when nothing did).
func rpcProbe(addr string, cfg *tls.Config, kind byte) string {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return ""
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	var conn net.Conn = raw
	if cfg != nil {
		cfg = cfg.Clone()
		cfg.InsecureSkipVerify = true // the attacker does not care who answers
		tc := tls.Client(raw, cfg)
		if err := tc.Handshake(); err != nil {
			return ""
		}
		conn = tc
	}
	if _, err := conn.Write(append([]byte{kind}, bytes.Repeat([]byte{7}, 32)...)); err != nil {
		return ""
	}
	buf := make([]byte, 33)
	n, _ := io.ReadFull(conn, buf)
	if cfg == nil && n > 0 && buf[0] == 0x15 { // a TLS alert record: refused
		return ""
	}
	return string(buf[:n])
}

// raftPeerCount is the number of raft peers the cluster reports.
func raftPeerCount(ctx context.Context, t *testing.T, cl *api.Client) int {
	t.Helper()
	return len(raftPeers(ctx, cl))
}

// tlsCall sends one request; code 0 means no HTTP answer at all.
func tlsCall(ctx context.Context, hc *http.Client, method, url, token string, body any) (int, string) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err.Error()
	}
	if token != "" {
		req.Header.Set("X-Nomad-Token", token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b)
}
