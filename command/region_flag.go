package command

import (
	"os"

	"github.com/urfave/cli/v2"
)

// regionEnv are the environment variables of -region, first wins.
var regionEnv = []string{"NOMADLIKE_REGION", "NOMAD_REGION"}

// regionFlag is -region, as Nomad's: the region a command's requests are
// for, sent as ?region=. nomadlike runs one region; an agent refuses a
// request for another ("No path to region").
func regionFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "region",
		Usage:   "the region of the agent's cluster (nomadlike runs one; another is refused)",
		EnvVars: regionEnv,
	}
}

// addRegionFlags gives -region to every command, at any depth, that takes
// -address (every command that talks to an agent), as addNamespaceFlags
// does -namespace.
func addRegionFlags(cmds []*cli.Command) {
	addAgentFlags(cmds, "region", func() []cli.Flag { return []cli.Flag{regionFlag()} })
}

// agentRegion is the region a command's requests name: -region, then the
// environment; "" names none (the agent's own).
func agentRegion(c *cli.Context) string {
	if r := c.String("region"); r != "" {
		return r
	}
	for _, env := range regionEnv {
		if r := os.Getenv(env); r != "" {
			return r
		}
	}
	return ""
}
