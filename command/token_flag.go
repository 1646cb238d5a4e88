package command

import "github.com/urfave/cli/v2"

// addTokenFlags gives every command that talks to an agent (one with
// -address) the -token flag (NOMADLIKE_TOKEN, then NOMAD_TOKEN), as Nomad's
// CLI does; apiClient sends it as X-Nomad-Token.
func addTokenFlags(cmds []*cli.Command) {
	for _, cmd := range cmds {
		if hasFlag(cmd.Flags, "address") && !hasFlag(cmd.Flags, "token") {
			cmd.Flags = append(cmd.Flags, tokenFlag())
		}
		addTokenFlags(cmd.Subcommands)
	}
}
