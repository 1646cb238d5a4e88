package command

import "github.com/urfave/cli/v2"

// addTokenFlags gives every command that talks to an agent (one with
// -address) the -token flag (NOMADLIKE_TOKEN, then NOMAD_TOKEN), as Nomad's
// CLI does; apiClient sends it as X-Nomad-Token.
func addTokenFlags(cmds []*cli.Command) {
	addAgentFlags(cmds, "token", func() []cli.Flag { return []cli.Flag{tokenFlag()} })
}
