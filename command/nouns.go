package command

import "github.com/urfave/cli/v2"

// The nouns below are filled in by their own files as features land; each
// new subcommand is added to the noun's Subcommands list.

func allocCommand() *cli.Command {
	return &cli.Command{Name: "alloc", Usage: "Interact with allocations"}
}

func nodeCommand() *cli.Command {
	return &cli.Command{Name: "node", Usage: "Interact with client nodes"}
}

func evalCommand() *cli.Command {
	return &cli.Command{Name: "eval", Usage: "Interact with evaluations"}
}

func agentCommand() *cli.Command {
	return &cli.Command{Name: "agent", Usage: "Run a nomadlike agent"}
}

func serverCommand() *cli.Command {
	return &cli.Command{Name: "server", Usage: "Interact with servers"}
}

func operatorCommand() *cli.Command {
	return &cli.Command{Name: "operator", Usage: "Cluster operator tools"}
}

func statusCommand() *cli.Command {
	return &cli.Command{Name: "status", Usage: "Show the status of jobs"}
}
