package agent

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

// TLSConfig is Nomad's tls { } block (issue #11): HTTPS on the HTTP port,
// TLS on the RPC port, and the certificate checks. Off by default.
type TLSConfig struct {
	// HTTP serves the HTTP API over HTTPS, and makes this agent talk
	// HTTPS to other agents (a client to its servers, a server to the
	// leader and to nodes). Every agent of a cluster must agree.
	HTTP bool
	// RPC speaks TLS on the RPC port (raft and server joins): every
	// connection must present a certificate from the CA. Every server of
	// a cluster must agree.
	RPC bool
	// CAFile, CertFile and KeyFile are PEM files: the CA certificates that
	// peers must chain to, this agent's certificate and its key. Required
	// when HTTP or RPC is on; re-read on SIGHUP.
	CAFile   string
	CertFile string
	KeyFile  string
	// VerifyServerHostname requires a server's certificate to name
	// server.<region>.nomad: on the RPC port (so a client certificate
	// cannot join raft) and on every agent's connection to a server.
	// Off by default, as Nomad's; then any certificate of the CA passes.
	VerifyServerHostname bool
	// VerifyHTTPSClient requires every HTTPS client (CLI, agents,
	// browsers) to present a certificate from the CA (mTLS). Off by
	// default.
	VerifyHTTPSClient bool
	// RPCUpgradeMode is Nomad's migration switch (accept TLS and plain
	// RPC at once); not supported: a warning is logged and the RPC port
	// is TLS only.
	RPCUpgradeMode bool
	// MinVersion is tls_min_version ("tls12" by default; tls10 to tls13).
	MinVersion string
	// CipherSuites is tls_cipher_suites: a comma-separated list of Go's
	// TLS 1.2 suite names; empty is Go's secure defaults.
	CipherSuites string
	// Warnings name the settings accepted for Nomad compatibility that
	// have no effect here (file:line:col: setting: why).
	Warnings []string
}

// Enabled reports whether any listener speaks TLS.
func (t TLSConfig) Enabled() bool { return t.HTTP || t.RPC }

// validate returns each problem as {field, message}.
func (t TLSConfig) validate() [][2]string {
	var out [][2]string
	if !t.Enabled() {
		return nil
	}
	for _, f := range []struct{ field, v string }{{"tls.ca_file", t.CAFile}, {"tls.cert_file", t.CertFile}, {"tls.key_file", t.KeyFile}} {
		if f.v == "" {
			out = append(out, [2]string{f.field, "must be set when tls.http or tls.rpc is on"})
		} else if _, err := os.Stat(f.v); err != nil {
			out = append(out, [2]string{f.field, err.Error()})
		}
	}
	if _, err := tlsutil.ParseMinVersion(t.MinVersion); err != nil {
		out = append(out, [2]string{"tls.tls_min_version", err.Error()})
	}
	if _, err := tlsutil.ParseCipherSuites(t.CipherSuites); err != nil {
		out = append(out, [2]string{"tls.tls_cipher_suites", err.Error()})
	}
	return out
}

// tlsutilConfig is the block as tlsutil takes it (validated).
func (t TLSConfig) tlsutilConfig(region string) tlsutil.Config {
	v, _ := tlsutil.ParseMinVersion(t.MinVersion)
	cs, _ := tlsutil.ParseCipherSuites(t.CipherSuites)
	return tlsutil.Config{
		CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, Region: region,
		VerifyServerHostname: t.VerifyServerHostname, VerifyHTTPSClient: t.VerifyHTTPSClient,
		MinVersion: v, CipherSuites: cs,
	}
}

// fileTLS is the tls block as written. Unknown keys are errors at their
// file:line:col.
type fileTLS struct {
	HTTP                 *bool     `hcl:"http,optional"`
	RPC                  *bool     `hcl:"rpc,optional"`
	CAFile               *string   `hcl:"ca_file,optional"`
	CertFile             *string   `hcl:"cert_file,optional"`
	KeyFile              *string   `hcl:"key_file,optional"`
	VerifyServerHostname *bool     `hcl:"verify_server_hostname,optional"`
	VerifyHTTPSClient    *bool     `hcl:"verify_https_client,optional"`
	RPCUpgradeMode       *bool     `hcl:"rpc_upgrade_mode,optional"`
	RPCUpgradeModeRange  hcl.Range `hcl:"rpc_upgrade_mode,attr_range"`
	MinVersion           *string   `hcl:"tls_min_version,optional"`
	MinVersionRange      hcl.Range `hcl:"tls_min_version,attr_range"`
	CipherSuites         *string   `hcl:"tls_cipher_suites,optional"`
	CipherSuitesRange    hcl.Range `hcl:"tls_cipher_suites,attr_range"`
	// Deprecated in Nomad; Go picks the order.
	PreferServerCipherSuites      *bool     `hcl:"tls_prefer_server_cipher_suites,optional"`
	PreferServerCipherSuitesRange hcl.Range `hcl:"tls_prefer_server_cipher_suites,attr_range"`
}

// applyTLS sets dst from what f sets.
func applyTLS(dst *TLSConfig, f *fileTLS) hcl.Diagnostics {
	var diags hcl.Diagnostics
	setBool := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setBool(&dst.HTTP, f.HTTP)
	setBool(&dst.RPC, f.RPC)
	setBool(&dst.VerifyServerHostname, f.VerifyServerHostname)
	setBool(&dst.VerifyHTTPSClient, f.VerifyHTTPSClient)
	setBool(&dst.RPCUpgradeMode, f.RPCUpgradeMode)
	setStr(&dst.CAFile, f.CAFile)
	setStr(&dst.CertFile, f.CertFile)
	setStr(&dst.KeyFile, f.KeyFile)
	if f.MinVersion != nil {
		if _, err := tlsutil.ParseMinVersion(*f.MinVersion); err != nil {
			diags = append(diags, diagAt(f.MinVersionRange, "Invalid tls.tls_min_version", err.Error()+"."))
		}
		dst.MinVersion = *f.MinVersion
	}
	if f.CipherSuites != nil {
		if _, err := tlsutil.ParseCipherSuites(*f.CipherSuites); err != nil {
			diags = append(diags, diagAt(f.CipherSuitesRange, "Invalid tls.tls_cipher_suites", err.Error()+"."))
		}
		dst.CipherSuites = *f.CipherSuites
	}
	warn := func(set bool, rng hcl.Range, name, why string) {
		if set {
			dst.Warnings = append(dst.Warnings, fmt.Sprintf("%s:%d:%d: tls.%s has no effect: %s", rng.Filename, rng.Start.Line, rng.Start.Column, name, why))
		}
	}
	warn(f.RPCUpgradeMode != nil && *f.RPCUpgradeMode, f.RPCUpgradeModeRange, "rpc_upgrade_mode",
		"nomadlike's RPC port speaks TLS only or plaintext only; upgrade all servers together")
	warn(f.PreferServerCipherSuites != nil, f.PreferServerCipherSuitesRange, "tls_prefer_server_cipher_suites",
		"deprecated in Nomad; Go chooses the suite order")
	return diags
}
