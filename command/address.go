package command

import (
	"os"

	"github.com/urfave/cli/v2"
)

// DefaultAddress is the agent address used when neither -address nor the
// environment names one.
const DefaultAddress = "http://127.0.0.1:4646"

// addressFlag is the -address flag every command that talks to an agent takes.
// NOMADLIKE_ADDR wins over NOMAD_ADDR.
func addressFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "address",
		Usage:   "address of the nomadlike agent's HTTP API",
		EnvVars: []string{"NOMADLIKE_ADDR", "NOMAD_ADDR"},
		Value:   DefaultAddress,
	}
}

// agentAddress returns the address a command should talk to.
func agentAddress(c *cli.Context) string {
	if a := c.String("address"); a != "" {
		return a
	}
	if a := os.Getenv("NOMADLIKE_ADDR"); a != "" {
		return a
	}
	if a := os.Getenv("NOMAD_ADDR"); a != "" {
		return a
	}
	return DefaultAddress
}
