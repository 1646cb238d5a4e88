package command

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/tlsutil"
)

// mTLS (issue #11): `tls ca create` and `tls cert create`, Nomad's commands
// and file names, for a working set of certificates for a test cluster.

func tlsCommand() *cli.Command {
	return &cli.Command{
		Name:  "tls",
		Usage: "Create a CA and certificates for the agents' tls block",
		Subcommands: []*cli.Command{
			{
				Name:  "ca",
				Usage: "Manage the certificate authority",
				Subcommands: []*cli.Command{{
					Name:  "create",
					Usage: "Create a CA: nomad-agent-ca.pem and nomad-agent-ca-key.pem in the current directory",
					Flags: []cli.Flag{
						&cli.IntFlag{Name: "days", Value: 1825, Usage: "`DAYS` the CA is valid"},
						&cli.StringFlag{Name: "domain", Value: "nomad", Usage: "`DOMAIN` of the agents' names (file prefix and -name-constraint)"},
						&cli.StringFlag{Name: "common-name", Usage: "common `NAME` of the CA"},
						&cli.BoolFlag{Name: "name-constraint", Usage: "limit the CA to -domain, localhost and -additional-domain"},
						&cli.StringSliceFlag{Name: "additional-domain", Usage: "another `DOMAIN` the name constraint permits (repeatable)"},
					},
					Action: tlsCACreate,
				}},
			},
			{
				Name:  "cert",
				Usage: "Manage agent and CLI certificates",
				Subcommands: []*cli.Command{{
					Name:  "create",
					Usage: "Create a certificate for a server (-server), a client agent (-client) or the CLI (-cli), signed by the CA",
					Flags: []cli.Flag{
						&cli.BoolFlag{Name: "server", Usage: "a server certificate (server.<region>.<domain>)"},
						&cli.BoolFlag{Name: "client", Usage: "a client agent certificate (client.<region>.<domain>)"},
						&cli.BoolFlag{Name: "cli", Usage: "a CLI certificate (cli.<region>.<domain>), for verify_https_client"},
						&cli.StringFlag{Name: "ca", Value: "nomad-agent-ca.pem", Usage: "`FILE` of the CA certificate"},
						&cli.StringFlag{Name: "key", Value: "nomad-agent-ca-key.pem", Usage: "`FILE` of the CA key"},
						&cli.StringFlag{Name: "region", Value: "global", Usage: "`REGION` of the agents"},
						&cli.StringFlag{Name: "domain", Value: "nomad", Usage: "`DOMAIN` of the agents' names"},
						&cli.IntFlag{Name: "days", Value: 365, Usage: "`DAYS` the certificate is valid"},
						&cli.StringSliceFlag{Name: "additional-dnsname", Usage: "another DNS `NAME` of the certificate (repeatable)"},
						&cli.StringSliceFlag{Name: "additional-ipaddress", Usage: "another `IP` of the certificate (repeatable)"},
					},
					Action: tlsCertCreate,
				}},
			},
		},
	}
}

func tlsCACreate(c *cli.Context) error {
	if c.NArg() > 0 {
		return userError("tls ca create takes no arguments, got %q", c.Args().Slice())
	}
	domain := c.String("domain")
	certFile, keyFile := domain+"-agent-ca.pem", domain+"-agent-ca-key.pem"
	if err := refuseExisting(certFile, keyFile); err != nil {
		return err
	}
	pair, err := tlsutil.GenerateCA(tlsutil.CAOptions{Days: c.Int("days"), Domain: domain, CommonName: c.String("common-name"),
		NameConstraint: c.Bool("name-constraint"), AdditionalDomains: c.StringSlice("additional-domain")})
	if err != nil {
		return fmt.Errorf("create CA: %w", err)
	}
	if err := writePair(pair, certFile, keyFile); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "==> CA certificate saved to: %s\n==> CA certificate key saved to: %s\n", certFile, keyFile)
	return nil
}

func tlsCertCreate(c *cli.Context) error {
	if c.NArg() > 0 {
		return userError("tls cert create takes no arguments, got %q", c.Args().Slice())
	}
	var roles []string
	for _, r := range []string{tlsutil.RoleServer, tlsutil.RoleClient, tlsutil.RoleCLI} {
		if c.Bool(r) {
			roles = append(roles, r)
		}
	}
	if len(roles) != 1 {
		return userError("tls cert create takes exactly one of -server, -client and -cli")
	}
	role := roles[0]
	var ips []net.IP
	for _, s := range c.StringSlice("additional-ipaddress") {
		ip := net.ParseIP(s)
		if ip == nil {
			return userError("-additional-ipaddress %q is not an IP address", s)
		}
		ips = append(ips, ip)
	}
	region, domain := c.String("region"), c.String("domain")
	opts, err := tlsutil.RoleOptions(role, region, domain, c.Int("days"), c.StringSlice("additional-dnsname"), ips)
	if err != nil {
		return userError("%v", err)
	}
	caCert, err := os.ReadFile(c.String("ca"))
	if err != nil {
		return userError("-ca: %v (create one with `nomadlike tls ca create`)", err)
	}
	caKey, err := os.ReadFile(c.String("key"))
	if err != nil {
		return userError("-key: %v", err)
	}
	prefix := fmt.Sprintf("%s-%s-%s", region, role, domain)
	certFile, keyFile := prefix+".pem", prefix+"-key.pem"
	if err := refuseExisting(certFile, keyFile); err != nil {
		return err
	}
	pair, err := tlsutil.GenerateCert(tlsutil.Pair{Cert: caCert, Key: caKey}, opts)
	if err != nil {
		return userError("create certificate: %v", err)
	}
	if err := writePair(pair, certFile, keyFile); err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "==> Using CA file %s and CA key %s\n", c.String("ca"), c.String("key"))
	fmt.Fprintf(w, "==> %s certificate saved to: %s\n==> %s certificate key saved to: %s\n", role, certFile, role, keyFile)
	fmt.Fprintf(w, "    names: %v, addresses: %v\n", opts.DNSNames, opts.IPs)
	return nil
}

// refuseExisting fails when any of files exists: a CA key is not
// overwritten by accident.
func refuseExisting(files ...string) error {
	for _, f := range files {
		if _, err := os.Lstat(f); err == nil {
			return userError("%s already exists; remove it or work in another directory", f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return userError("%s: %v", f, err)
		}
	}
	return nil
}

// writePair writes a certificate (0644) and its key (0600), neither
// following nor replacing an existing file.
func writePair(p tlsutil.Pair, certFile, keyFile string) error {
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{certFile, p.Cert, 0o644}, {keyFile, p.Key, 0o600}} {
		fh, err := os.OpenFile(f.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if err != nil {
			return userError("write %s: %v", f.name, err)
		}
		_, err = fh.Write(f.data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}
