package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/server"
	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

// mTLS (issue #11): the agent's side of the tls block. a.tls holds the
// CA and key pair every listener and dialer reads at each handshake, so
// ReloadTLS (SIGHUP) changes what new connections see and drops none.

// errTLSOff is returned by ReloadTLS when the agent runs without TLS.
var errTLSOff = errors.New("tls is not enabled on this agent (tls.http and tls.rpc are off)")

// startTLS loads the tls block's files; a.tls stays nil when TLS is off.
func (a *Agent) startTLS() error {
	t := a.cfg.TLS
	for _, w := range t.Warnings {
		a.logger.Warn("tls setting has no effect", "setting", w)
	}
	if !t.Enabled() {
		return nil
	}
	c, err := tlsutil.New(t.tlsutilConfig(a.cfg.Region))
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	a.tls = c
	if !t.VerifyServerHostname {
		a.logger.Warn("tls.verify_server_hostname is off: any certificate of the CA, a client's included, is accepted as a server's (on the RPC port too)")
	}
	if t.HTTP && !t.VerifyHTTPSClient {
		a.logger.Info("tls.verify_https_client is off: HTTPS clients need no certificate (ACL tokens still apply)")
	}
	return nil
}

// wrapHTTPListener serves HTTPS over ln when tls.http is on, each
// handshake bounded by limits.https_handshake_timeout.
func (a *Agent) wrapHTTPListener(ln net.Listener) net.Listener {
	if a.tls == nil || !a.cfg.TLS.HTTP {
		return ln
	}
	return tlsutil.NewListener(ln, a.tls.HTTPServer(), a.cfg.Limits.HTTPSHandshakeTimeout, func(from net.Addr, err error) {
		a.logger.Debug("HTTPS handshake failed", "remote", from, "error", err)
		// Plain HTTP to the HTTPS port gets a readable answer, as Go's
		// own HTTPS servers give.
		var rhe tls.RecordHeaderError
		if errors.As(err, &rhe) && rhe.Conn != nil {
			_ = rhe.Conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(rhe.Conn, plainToHTTPSAnswer)
		}
	})
}

// plainToHTTPSAnswer is what a plain HTTP request to the HTTPS port gets.
const plainToHTTPSAnswer = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" +
	"Client sent an HTTP request to an HTTPS server (tls.http is on: use https:// and the CA certificate).\n"

// httpsToServers is the TLS config of this agent's HTTPS calls to servers
// (nil without tls.http): with verify_server_hostname their certificates
// must name server.<region>.nomad.
func (a *Agent) httpsToServers() *tls.Config {
	if a.tls == nil || !a.cfg.TLS.HTTP {
		return nil
	}
	return a.tls.Dialer(tlsutil.ServerName(a.cfg.Region))
}

// httpsToNodes is the TLS config of a server's HTTPS calls to client
// agents (forwarded client routes): a node may run as client or server.
func (a *Agent) httpsToNodes() *tls.Config {
	if a.tls == nil || !a.cfg.TLS.HTTP {
		return nil
	}
	return a.tls.Dialer(tlsutil.ClientName(a.cfg.Region), tlsutil.ServerName(a.cfg.Region))
}

// serverAPIConfig is the api.Config this agent reaches a server's HTTP API
// at addr with.
func (a *Agent) serverAPIConfig(addr string) api.Config {
	return api.Config{Address: addr, TLSClientConfig: a.httpsToServers()}
}

// rpcTLS is the server's RPC port TLS (nil without tls.rpc).
func (a *Agent) rpcTLS() *server.RPCTLS {
	if a.tls == nil || !a.cfg.TLS.RPC {
		return nil
	}
	return &server.RPCTLS{Server: a.tls.RPCServer(), Client: a.tls.RPCClient()}
}

// ReloadTLS re-reads tls.ca_file, cert_file and key_file (SIGHUP). Open
// connections (raft, blocking queries) stay up; new handshakes use the new
// files. On error the files in use stay in use.
func (a *Agent) ReloadTLS() error {
	if a.tls == nil {
		return errTLSOff
	}
	if err := a.tls.Reload(); err != nil {
		return err
	}
	cert := a.tls.Certificate()
	a.logger.Info("reloaded TLS certificates", "subject", cert.Subject.CommonName, "serial", cert.SerialNumber.String(), "not_after", cert.NotAfter)
	return nil
}
