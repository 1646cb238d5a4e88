package command

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func TestTLSCreateCommands(t *testing.T) {
	t.Chdir(t.TempDir())
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := RunWith(append([]string{"nomadlike"}, args...), &out, &errb)
		return code, out.String() + errb.String()
	}
	steps := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"cert before CA", []string{"tls", "cert", "create", "-server"}, 1, "tls ca create"},
		{"CA", []string{"tls", "ca", "create"}, 0, "nomad-agent-ca.pem"},
		{"CA again refuses to overwrite", []string{"tls", "ca", "create"}, 1, "already exists"},
		{"server", []string{"tls", "cert", "create", "-server", "-additional-dnsname", "nomad.example", "-additional-ipaddress", "10.0.0.5"}, 0, "global-server-nomad.pem"},
		{"client in another region", []string{"tls", "cert", "create", "-client", "-region", "eu"}, 0, "eu-client-nomad.pem"},
		{"cli", []string{"tls", "cert", "create", "-cli"}, 0, "global-cli-nomad-key.pem"},
		{"two roles", []string{"tls", "cert", "create", "-server", "-client"}, 1, "exactly one"},
		{"bad IP", []string{"tls", "cert", "create", "-client", "-additional-ipaddress", "ten"}, 1, "not an IP"},
	}
	for _, s := range steps {
		code, out := run(s.args...)
		if code != s.code || !strings.Contains(out, s.want) {
			t.Fatalf("%s: exit %d, %q; want exit %d containing %q", s.name, code, out, s.code, s.want)
		}
	}
	b, err := os.ReadFile("global-server-nomad.pem")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(cert.DNSNames, ",")
	if names != "server.global.nomad,localhost,nomad.example" || len(cert.IPAddresses) != 2 {
		t.Fatalf("server certificate names %s, IPs %v", names, cert.IPAddresses)
	}
	if fi, err := os.Stat("global-server-nomad-key.pem"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
}

// Every command that takes -address takes the TLS flags, and they reach
// the API client's TLS config (flags over NOMADLIKE_ over NOMAD_ env).
func TestTLSFlagsOnEveryAgentCommand(t *testing.T) {
	app := NewApp(&bytes.Buffer{}, &bytes.Buffer{})
	var walk func(path string, cmds []*cli.Command)
	n := 0
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := path + " " + c.Name
			if hasFlag(c.Flags, "address") {
				n++
				for _, f := range tlsFlagEnv {
					if !hasFlag(c.Flags, f.name) {
						t.Errorf("%s takes -address but not -%s", p, f.name)
					}
				}
			}
			walk(p, c.Subcommands)
		}
	}
	walk("nomadlike", app.Commands)
	if n < 20 {
		t.Fatalf("only %d commands take -address", n)
	}

	t.Setenv("NOMAD_CACERT", "nomad.pem")
	t.Setenv("NOMADLIKE_CLIENT_CERT", "nomadlike.pem")
	t.Setenv("NOMAD_CLIENT_CERT", "nomad-client.pem")
	t.Setenv("NOMAD_SKIP_VERIFY", "true")
	var got *api.TLSConfig
	cmd := &cli.Command{Name: "probe", Flags: append([]cli.Flag{addressFlag()}, tlsFlags()...),
		Action: func(c *cli.Context) error { got = agentTLS(c); return nil }}
	probe := &cli.App{Name: "x", Commands: []*cli.Command{cmd}}
	if err := probe.Run([]string{"x", "probe", "-client-key", "flag-key.pem"}); err != nil {
		t.Fatal(err)
	}
	want := api.TLSConfig{CACert: "nomad.pem", ClientCert: "nomadlike.pem", ClientKey: "flag-key.pem", Insecure: true}
	if got == nil || *got != want {
		t.Fatalf("agentTLS = %+v, want %+v", got, want)
	}
}
