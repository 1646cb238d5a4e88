package tlsutil

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pki is a CA with one certificate per role, written to files.
type pki struct {
	dir   string
	ca    Pair
	files map[string][2]string // role -> cert, key path
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := GenerateCA(CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: t.TempDir(), ca: ca, files: map[string][2]string{}}
	writeFile(t, filepath.Join(p.dir, "ca.pem"), ca.Cert)
	for _, role := range []string{RoleServer, RoleClient, RoleCLI} {
		p.issue(t, role, role)
	}
	return p
}

// issue writes a new certificate of role under name.
func (p *pki) issue(t *testing.T, role, name string) {
	t.Helper()
	o, err := RoleOptions(role, "global", "", 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := GenerateCert(p.ca, o)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	writeFile(t, cert, pair.Cert)
	writeFile(t, key, pair.Key)
	p.files[name] = [2]string{cert, key}
}

func (p *pki) configurator(t *testing.T, name string, mod func(*Config)) *Configurator {
	t.Helper()
	cfg := Config{CAFile: filepath.Join(p.dir, "ca.pem"), CertFile: p.files[name][0], KeyFile: p.files[name][1],
		Region: "global", VerifyServerHostname: true, VerifyHTTPSClient: true}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// handshake runs both sides over a pipe and then one byte from the server
// to the client (TLS 1.3 clients finish before the server has checked
// their certificate); it returns each side's error.
func handshake(t *testing.T, srv, cli *tls.Config) (srvErr, cliErr error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	deadline := time.Now().Add(10 * time.Second)
	_ = a.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	errc := make(chan error, 1)
	go func() {
		s := tls.Server(a, srv)
		err := s.Handshake()
		if err == nil {
			_, err = s.Write([]byte{1})
		}
		if err != nil {
			a.Close()
		}
		errc <- err
	}()
	c := tls.Client(b, cli)
	cliErr = c.Handshake()
	if cliErr == nil {
		_, cliErr = io.ReadFull(c, make([]byte, 1))
	}
	if cliErr != nil {
		b.Close()
	}
	return <-errc, cliErr
}

func TestRPCPortAdmitsOnlyServers(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t) // another CA, same role names
	srv := p.configurator(t, RoleServer, nil)
	cases := []struct {
		name   string
		dialer *tls.Config
		ok     bool
	}{
		{"server certificate", p.configurator(t, RoleServer, nil).RPCClient(), true},
		{"client certificate posing as a server", clientAs(p.configurator(t, RoleClient, nil)), false},
		{"CLI certificate", clientAs(p.configurator(t, RoleCLI, nil)), false},
		{"server certificate of another CA", clientAs(other.configurator(t, RoleServer, nil)), false},
		{"no certificate", &tls.Config{InsecureSkipVerify: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srvErr, cliErr := handshake(t, srv.RPCServer(), tc.dialer)
			if tc.ok && (srvErr != nil || cliErr != nil) {
				t.Fatalf("refused: server %v, client %v", srvErr, cliErr)
			}
			if !tc.ok && srvErr == nil {
				t.Fatalf("the RPC port accepted it (client side: %v)", cliErr)
			}
		})
	}
	t.Run("without verify_server_hostname a client certificate of the CA passes", func(t *testing.T) {
		loose := p.configurator(t, RoleServer, func(c *Config) { c.VerifyServerHostname = false })
		if srvErr, _ := handshake(t, loose.RPCServer(), clientAs(p.configurator(t, RoleClient, nil))); srvErr != nil {
			t.Fatalf("refused: %v", srvErr)
		}
	})
}

// clientAs dials the way a server does, but with c's certificate and
// without checking the server (the attacker's side).
func clientAs(c *Configurator) *tls.Config {
	cfg := c.RPCClient()
	cfg.VerifyConnection = nil
	return cfg
}

func TestDialerRefusesNonServers(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	dialer := p.configurator(t, RoleClient, nil).RPCClient()
	cases := []struct {
		name string
		srv  *tls.Config
		want error
	}{
		{"a client certificate posing as a server", p.configurator(t, RoleClient, nil).HTTPServer(), ErrPeerRole},
		{"a server of another CA", other.configurator(t, RoleServer, nil).HTTPServer(), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, cliErr := handshake(t, tc.srv, dialer)
			if cliErr == nil {
				t.Fatal("the dialer accepted it")
			}
			if tc.want != nil && !errors.Is(cliErr, tc.want) {
				t.Fatalf("error %v, want %v", cliErr, tc.want)
			}
		})
	}
	if srvErr, cliErr := handshake(t, p.configurator(t, RoleServer, nil).HTTPServer(), dialer); srvErr != nil || cliErr != nil {
		t.Fatalf("a real server was refused: %v / %v", srvErr, cliErr)
	}
}

func TestHTTPSClientCertificates(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	pool := func(pp *pki) *tls.Config {
		c := pp.configurator(t, RoleCLI, nil).Dialer(ServerName("global"))
		return c
	}
	cases := []struct {
		name   string
		verify bool
		cli    *tls.Config
		ok     bool
	}{
		{"CLI certificate", true, pool(p), true},
		{"no certificate", true, &tls.Config{InsecureSkipVerify: true}, false},
		{"certificate of another CA", true, clientAs(other.configurator(t, RoleCLI, nil)), false},
		{"no certificate, verify_https_client off", false, &tls.Config{InsecureSkipVerify: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := p.configurator(t, RoleServer, func(c *Config) { c.VerifyHTTPSClient = tc.verify })
			srvErr, cliErr := handshake(t, srv.HTTPServer(), tc.cli)
			if tc.ok != (srvErr == nil && cliErr == nil) {
				t.Fatalf("ok=%v, got server %v, client %v", tc.ok, srvErr, cliErr)
			}
		})
	}
}

func TestReloadSwapsCertificateForNewConnections(t *testing.T) {
	p := newPKI(t)
	srv := p.configurator(t, RoleServer, nil)
	dialer := p.configurator(t, RoleServer, nil).RPCClient()
	var seen []string
	dialer.VerifyConnection = func(cs tls.ConnectionState) error {
		seen = append(seen, cs.PeerCertificates[0].SerialNumber.String())
		return nil
	}
	first := srv.Certificate().SerialNumber.String()
	if _, err := handshake(t, srv.RPCServer(), dialer); err != nil {
		t.Fatal(err)
	}
	p.issue(t, RoleServer, RoleServer) // new pair, same files
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	second := srv.Certificate().SerialNumber.String()
	if second == first {
		t.Fatal("the reload kept the old certificate")
	}
	if _, err := handshake(t, srv.RPCServer(), dialer); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != first || seen[1] != second {
		t.Fatalf("peers saw %v, want [%s %s]", seen, first, second)
	}
	// A broken file: the reload fails and the certificate in use stays.
	writeFile(t, p.files[RoleServer][1], []byte("not a key"))
	if err := srv.Reload(); !errors.Is(err, ErrConfig) {
		t.Fatalf("reload of a broken key: %v, want ErrConfig", err)
	}
	if srv.Certificate().SerialNumber.String() != second {
		t.Fatal("a failed reload changed the certificate")
	}
}

func TestNewRefusesBadFiles(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	ca := filepath.Join(p.dir, "ca.pem")
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no files", Config{}},
		{"missing CA", Config{CAFile: filepath.Join(p.dir, "nope.pem"), CertFile: p.files[RoleServer][0], KeyFile: p.files[RoleServer][1]}},
		{"key of another certificate", Config{CAFile: ca, CertFile: p.files[RoleServer][0], KeyFile: p.files[RoleClient][1]}},
		{"certificate of another CA", Config{CAFile: ca, CertFile: other.files[RoleServer][0], KeyFile: other.files[RoleServer][1]}},
		{"CA file without a certificate", Config{CAFile: p.files[RoleServer][1], CertFile: p.files[RoleServer][0], KeyFile: p.files[RoleServer][1]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	cases := []struct {
		name    string
		version string
		suites  string
		ok      bool
	}{
		{"defaults", "", "", true},
		{"tls13", "tls13", "", true},
		{"bad version", "ssl3", "", false},
		{"one suite", "tls12", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", true},
		{"two suites", "tls12", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", true},
		{"insecure suite", "tls12", "TLS_RSA_WITH_RC4_128_SHA", false},
		{"unknown suite", "tls12", "TLS_NOPE", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, verr := ParseMinVersion(tc.version)
			_, serr := ParseCipherSuites(tc.suites)
			if ok := verr == nil && serr == nil; ok != tc.ok {
				t.Fatalf("ok=%v, want %v (%v, %v)", ok, tc.ok, verr, serr)
			}
		})
	}
}
