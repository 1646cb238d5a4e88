package command

import (
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// mTLS (issue #11): the TLS flags of every command that talks to an agent,
// with Nomad's names and environment variables (the NOMADLIKE_ ones win).

// tlsFlagEnv maps each flag to its environment variables, first wins.
var tlsFlagEnv = []struct {
	name, usage string
	env         []string
	isBool      bool
}{
	{"ca-cert", "`PATH` of a PEM CA certificate to verify the agent's certificate with", []string{"NOMADLIKE_CACERT", "NOMAD_CACERT"}, false},
	{"ca-path", "`DIR` of PEM CA certificates to verify the agent's certificate with", []string{"NOMADLIKE_CAPATH", "NOMAD_CAPATH"}, false},
	{"client-cert", "`PATH` of a PEM client certificate for agents that require one (verify_https_client)", []string{"NOMADLIKE_CLIENT_CERT", "NOMAD_CLIENT_CERT"}, false},
	{"client-key", "`PATH` of the PEM key of -client-cert", []string{"NOMADLIKE_CLIENT_KEY", "NOMAD_CLIENT_KEY"}, false},
	{"tls-server-name", "`NAME` to verify in the agent's certificate instead of the address's host (server.global.nomad)", []string{"NOMADLIKE_TLS_SERVER_NAME", "NOMAD_TLS_SERVER_NAME"}, false},
	{"tls-skip-verify", "do not verify the agent's certificate (insecure: the token and traffic can be read and changed)", []string{"NOMADLIKE_SKIP_VERIFY", "NOMAD_SKIP_VERIFY"}, true},
}

func tlsFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range tlsFlagEnv {
		if f.isBool {
			out = append(out, &cli.BoolFlag{Name: f.name, Usage: f.usage, EnvVars: f.env})
			continue
		}
		out = append(out, &cli.StringFlag{Name: f.name, Usage: f.usage, EnvVars: f.env})
	}
	return out
}

// addTLSFlags gives the TLS flags to every command, at any depth, that
// takes -address.
func addTLSFlags(cmds []*cli.Command) { addAgentFlags(cmds, "ca-cert", tlsFlags) }

// tlsValue is a TLS flag's value: the flag, else its environment.
func tlsValue(c *cli.Context, name string) string {
	if c.IsSet(name) {
		if name == "tls-skip-verify" {
			return strconv.FormatBool(c.Bool(name))
		}
		return c.String(name)
	}
	for _, f := range tlsFlagEnv {
		if f.name != name {
			continue
		}
		for _, e := range f.env {
			if v := os.Getenv(e); v != "" {
				return v
			}
		}
	}
	return ""
}

// agentTLS is the TLS configuration the flags and environment give, nil
// when they give none (an https:// address then uses the system's CAs).
func agentTLS(c *cli.Context) *api.TLSConfig {
	skip, _ := strconv.ParseBool(tlsValue(c, "tls-skip-verify"))
	t := &api.TLSConfig{
		CACert: tlsValue(c, "ca-cert"), CAPath: tlsValue(c, "ca-path"),
		ClientCert: tlsValue(c, "client-cert"), ClientKey: tlsValue(c, "client-key"),
		TLSServerName: tlsValue(c, "tls-server-name"), Insecure: skip,
	}
	if *t == (api.TLSConfig{}) {
		return nil
	}
	return t
}
