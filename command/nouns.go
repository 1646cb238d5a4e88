package command

import "github.com/urfave/cli/v2"

// The nouns below are filled in by their own files as features land; each
// new subcommand is added to the noun's Subcommands list.

func agentCommand() *cli.Command {
	return &cli.Command{Name: "agent", Usage: "Run a nomadlike agent"}
}
