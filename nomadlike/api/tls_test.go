package api

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

func TestTLSConfigBuild(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := tlsutil.RoleOptions(tlsutil.RoleCLI, "global", "", 0, nil, nil)
	cli, err := tlsutil.GenerateCert(ca, o)
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
	caFile, certFile, keyFile := write("ca.pem", ca.Cert), write("cli.pem", cli.Cert), write("cli-key.pem", cli.Key)
	cases := []struct {
		name string
		cfg  TLSConfig
		ok   bool
	}{
		{"CA and client pair", TLSConfig{CACert: caFile, ClientCert: certFile, ClientKey: keyFile}, true},
		{"CA path", TLSConfig{CAPath: dir}, true},
		{"certificate without key", TLSConfig{CACert: caFile, ClientCert: certFile}, false},
		{"missing CA", TLSConfig{CACert: filepath.Join(dir, "nope.pem")}, false},
		{"CA file without a certificate", TLSConfig{CACert: keyFile}, false},
		{"key of another pair", TLSConfig{ClientCert: certFile, ClientKey: write("bad-key.pem", ca.Key)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.Build()
			if (err == nil) != tc.ok {
				t.Fatalf("Build() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errTLSConfig) {
				t.Fatalf("error %v does not wrap errTLSConfig", err)
			}
		})
	}
	// A TLS client defaults to https:// for a bare address.
	c, err := NewClient(Config{Address: "127.0.0.1:4646", TLSConfig: &TLSConfig{CACert: caFile}})
	if err != nil || !strings.HasPrefix(c.Address(), "https://") {
		t.Fatalf("NewClient = %v, %v; want an https:// address", c, err)
	}
}
