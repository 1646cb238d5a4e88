package command

import "github.com/urfave/cli/v2"

// jobCommand is the job noun; each subcommand lives in its own job_*.go file.
func jobCommand() *cli.Command {
	return &cli.Command{
		Name:  "job",
		Usage: "Interact with jobs",
		Subcommands: append([]*cli.Command{
			jobInitCommand(),
			jobValidateCommand(),
			jobRunCommand(),
		}, jobClusterCommands()...),
	}
}
