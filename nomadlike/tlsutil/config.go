package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// Errors wrapped by what this package returns.
var (
	// ErrConfig: a file is missing, unreadable or not what it should be.
	ErrConfig = errors.New("tls configuration")
	// ErrPeerRole: the peer's certificate is from the CA but does not name
	// the role (server.<region>.nomad, client.<region>.nomad) required.
	ErrPeerRole = errors.New("peer certificate does not name the required role")
	// ErrNoPeerCert: the peer sent no certificate where one is required.
	ErrNoPeerCert = errors.New("peer sent no certificate")
)

// Config is what the agent's tls block says about keys and checks.
type Config struct {
	// CAFile is the PEM bundle of CA certificates peers are checked against.
	CAFile string
	// CertFile and KeyFile are this agent's PEM certificate (with any
	// intermediates after it) and private key.
	CertFile string
	KeyFile  string
	// Region makes the role names server.<region>.nomad and
	// client.<region>.nomad; "global" when empty.
	Region string
	// VerifyServerHostname requires the role names: peers on the RPC port
	// and servers dialed by agents must name server.<region>.nomad.
	VerifyServerHostname bool
	// VerifyHTTPSClient requires every HTTPS client to present a
	// certificate from the CA.
	VerifyHTTPSClient bool
	// MinVersion is the lowest TLS version spoken (tls.VersionTLS12 when 0).
	MinVersion uint16
	// CipherSuites limits the TLS 1.2 suites (Go's defaults when empty;
	// TLS 1.3 suites are not configurable).
	CipherSuites []uint16
}

// ServerName is the name a server's certificate carries in region.
func ServerName(region string) string { return "server." + regionOr(region) + ".nomad" }

// ClientName is the name a client agent's certificate carries in region.
func ClientName(region string) string { return "client." + regionOr(region) + ".nomad" }

func regionOr(r string) string {
	if r == "" {
		return "global"
	}
	return r
}

// material is one generation of keys: what Reload swaps.
type material struct {
	cert *tls.Certificate
	pool *x509.CertPool
}

// Configurator hands out tls.Configs that read the current material at
// every handshake. It is safe for concurrent use.
type Configurator struct {
	cfg Config
	cur atomic.Pointer[material]
}

// New loads cfg's files. CAFile, CertFile and KeyFile are all required.
func New(cfg Config) (*Configurator, error) {
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	c := &Configurator{cfg: cfg}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload re-reads the CA, certificate and key files. On any error the
// material in use stays as it was. Open connections are not touched; new
// handshakes use the new material.
func (c *Configurator) Reload() error {
	m, err := load(c.cfg)
	if err != nil {
		return err
	}
	c.cur.Store(m)
	return nil
}

func load(cfg Config) (*material, error) {
	for _, f := range []struct{ name, path string }{{"ca_file", cfg.CAFile}, {"cert_file", cfg.CertFile}, {"key_file", cfg.KeyFile}} {
		if f.path == "" {
			return nil, fmt.Errorf("%w: tls.%s must be set", ErrConfig, f.name)
		}
	}
	caPEM, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("%w: tls.ca_file: %v", ErrConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%w: tls.ca_file %s: no PEM certificate in it", ErrConfig, cfg.CAFile)
	}
	pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: tls.cert_file %s / tls.key_file %s: %v", ErrConfig, cfg.CertFile, cfg.KeyFile, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: tls.cert_file %s: %v", ErrConfig, cfg.CertFile, err)
		}
	}
	// The agent's own certificate must chain to the CA it checks peers
	// against, or every peer would refuse it: say so now, not at the
	// first handshake.
	inter := x509.NewCertPool()
	for _, raw := range pair.Certificate[1:] {
		if ic, err := x509.ParseCertificate(raw); err == nil {
			inter.AddCert(ic)
		}
	}
	if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%w: tls.cert_file %s is not signed by tls.ca_file %s: %v", ErrConfig, cfg.CertFile, cfg.CAFile, err)
	}
	return &material{cert: &pair, pool: pool}, nil
}

// Certificate is the agent's current certificate.
func (c *Configurator) Certificate() *x509.Certificate { return c.cur.Load().cert.Leaf }

// Region is the region the role names are made from.
func (c *Configurator) Region() string { return regionOr(c.cfg.Region) }

// VerifyServerHostname reports whether role names are enforced.
func (c *Configurator) VerifyServerHostname() bool { return c.cfg.VerifyServerHostname }

func (c *Configurator) base() *tls.Config {
	// No session tickets: a resumed session would skip the certificate
	// checks of the current CA pool (after a reload that drops a CA).
	return &tls.Config{MinVersion: c.cfg.MinVersion, CipherSuites: c.cfg.CipherSuites, SessionTicketsDisabled: true}
}

// HTTPServer is the HTTPS listener's config: the current certificate, and
// with verify_https_client a client certificate from the CA is required.
func (c *Configurator) HTTPServer() *tls.Config {
	out := c.base()
	out.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := c.cur.Load()
		cfg := c.base()
		cfg.Certificates = []tls.Certificate{*m.cert}
		cfg.NextProtos = []string{"http/1.1"}
		if c.cfg.VerifyHTTPSClient {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
			cfg.ClientCAs = m.pool
		}
		return cfg, nil
	}
	return out
}

// RPCServer is the RPC port's config: a peer certificate from the CA is
// always required (only servers dial the RPC port), and with
// verify_server_hostname it must name server.<region>.nomad.
func (c *Configurator) RPCServer() *tls.Config {
	out := c.base()
	out.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := c.cur.Load()
		cfg := c.base()
		cfg.Certificates = []tls.Certificate{*m.cert}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = m.pool
		if c.cfg.VerifyServerHostname {
			name := ServerName(c.cfg.Region)
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { return checkRole(cs, []string{name}) }
		}
		return cfg, nil
	}
	return out
}

// RPCClient is the config a server dials its peers' RPC ports with: it
// presents its certificate and checks the peer's against the CA, and
// with verify_server_hostname that it names server.<region>.nomad.
func (c *Configurator) RPCClient() *tls.Config {
	return c.Dialer(ServerName(c.cfg.Region))
}

// Dialer is the config of an agent's outgoing HTTPS and RPC connections:
// it presents the agent's certificate and accepts a peer whose
// certificate chains to the CA and, with verify_server_hostname, names one
// of names (server.<region>.nomad for a server; a node may be a client or
// a server). Without verify_server_hostname the peer's names are not
// checked, as Nomad's agents do (the CA is what is trusted).
func (c *Configurator) Dialer(names ...string) *tls.Config {
	out := c.base()
	// The chain is checked below against the pool of the moment, which a
	// static RootCAs could not follow across reloads.
	out.InsecureSkipVerify = true
	out.NextProtos = []string{"http/1.1"}
	out.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return c.cur.Load().cert, nil
	}
	out.VerifyConnection = func(cs tls.ConnectionState) error {
		if err := verifyChain(cs, c.cur.Load().pool, x509.ExtKeyUsageServerAuth); err != nil {
			return err
		}
		if c.cfg.VerifyServerHostname {
			return checkRole(cs, names)
		}
		return nil
	}
	return out
}

// verifyChain checks the peer's certificate against pool.
func verifyChain(cs tls.ConnectionState, pool *x509.CertPool, usage x509.ExtKeyUsage) error {
	if len(cs.PeerCertificates) == 0 {
		return ErrNoPeerCert
	}
	inter := x509.NewCertPool()
	for _, ic := range cs.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

// checkRole requires the peer's leaf certificate to name one of names.
func checkRole(cs tls.ConnectionState, names []string) error {
	if len(cs.PeerCertificates) == 0 {
		return ErrNoPeerCert
	}
	leaf := cs.PeerCertificates[0]
	for _, n := range names {
		if leaf.VerifyHostname(n) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: want %v, the certificate names %v", ErrPeerRole, names, leaf.DNSNames)
}
