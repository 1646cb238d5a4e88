package agent

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

// agentPKI writes a CA and a server and a CLI certificate into dir.
func agentPKI(t *testing.T, dir string) {
	t.Helper()
	ca, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"ca.pem": ca.Cert}
	for _, role := range []string{tlsutil.RoleServer, tlsutil.RoleCLI} {
		o, _ := tlsutil.RoleOptions(role, "global", "", 0, nil, nil)
		p, err := tlsutil.GenerateCert(ca, o)
		if err != nil {
			t.Fatal(err)
		}
		files[role+".pem"], files[role+"-key.pem"] = p.Cert, p.Key
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A dev server with tls.http and tls.rpc: the API answers over mTLS, a
// client that says nothing loses its connection after
// limits.https_handshake_timeout, plain HTTP gets a 400 that says why,
// and ReloadTLS keeps the API up.
func TestAgentServesHTTPSWithHandshakeTimeout(t *testing.T) {
	dir := t.TempDir()
	agentPKI(t, dir)
	a, _ := devServer(t, func(c *Config) {
		c.TLS = TLSConfig{HTTP: true, RPC: true, VerifyServerHostname: true, VerifyHTTPSClient: true,
			CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server-key.pem")}
		c.Limits.HTTPSHandshakeTimeout = 300 * time.Millisecond
	})
	cl, err := api.NewClient(api.Config{Address: a.HTTPAddr(), TLSConfig: &api.TLSConfig{CACert: filepath.Join(dir, "ca.pem"),
		ClientCert: filepath.Join(dir, "cli.pem"), ClientKey: filepath.Join(dir, "cli-key.pem")}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitLeader(ctx, t, cl) // raft over the TLS RPC port elects the dev server

	silent, err := net.Dial("tcp", a.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_ = silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a client that never says hello: read %v, want the agent to close it", err)
	}

	plain, err := net.Dial("tcp", a.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_ = plain.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(plain, "GET /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n")
	b, _ := io.ReadAll(plain)
	if !strings.HasPrefix(string(b), "HTTP/1.0 400") || !strings.Contains(string(b), "HTTPS") {
		t.Fatalf("plain HTTP got %q", b)
	}

	// A reload re-reads the same files (the e2e test swaps them).
	if err := a.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Status().Leader(ctx); err != nil {
		t.Fatalf("the API after a reload: %v", err)
	}
}
