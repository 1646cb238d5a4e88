package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TLSConfig is how a client speaks HTTPS to an agent, with Nomad's api
// names: the CLI's -ca-cert, -ca-path, -client-cert, -client-key,
// -tls-server-name and -tls-skip-verify.
type TLSConfig struct {
	// CACert is a PEM file of CA certificates the agent's certificate must
	// chain to; CAPath a directory of them. Neither: the system roots.
	CACert string
	CAPath string
	// ClientCert and ClientKey are the PEM certificate and key presented
	// to an agent that requires client certificates (verify_https_client).
	ClientCert string
	ClientKey  string
	// TLSServerName is the name checked in the agent's certificate instead
	// of the address's host (server.global.nomad, say).
	TLSServerName string
	// Insecure skips checking the agent's certificate: anyone on the path
	// can then read and change the traffic, token included.
	Insecure bool
}

// errTLSConfig is wrapped by Build's errors.
var errTLSConfig = errors.New("TLS configuration")

// Build loads the files into a *tls.Config.
func (t *TLSConfig) Build() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.TLSServerName, InsecureSkipVerify: t.Insecure}
	if t.CACert != "" || t.CAPath != "" {
		pool := x509.NewCertPool()
		files := []string{}
		if t.CACert != "" {
			files = append(files, t.CACert)
		} else {
			entries, err := os.ReadDir(t.CAPath)
			if err != nil {
				return nil, fmt.Errorf("%w: CA path: %v", errTLSConfig, err)
			}
			for _, e := range entries {
				if !e.IsDir() {
					files = append(files, filepath.Join(t.CAPath, e.Name()))
				}
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("%w: CA certificate: %v", errTLSConfig, err)
			}
			if !pool.AppendCertsFromPEM(b) && t.CACert != "" {
				return nil, fmt.Errorf("%w: CA certificate %s: no PEM certificate in it", errTLSConfig, f)
			}
		}
		cfg.RootCAs = pool
	}
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return nil, fmt.Errorf("%w: a client certificate needs its key and a key its certificate (-client-cert and -client-key)", errTLSConfig)
	}
	if t.ClientCert != "" {
		pair, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate: %v", errTLSConfig, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
