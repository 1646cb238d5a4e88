package command

import "github.com/urfave/cli/v2"

// shortcutCommands are Nomad's top-level aliases of the commands used
// most: run, stop, plan, validate, inspect and init (of job ...) and logs
// (of alloc logs); status is a command of its own (status.go). Each is a
// fresh copy of the aliased command, flags and all.
func shortcutCommands() []*cli.Command {
	return []*cli.Command{
		shortcut(jobRunCommand(), "job run"),
		shortcut(jobStopCommand(), "job stop"),
		shortcut(jobPlanCommand(), "job plan"),
		shortcut(jobValidateCommand(), "job validate"),
		shortcut(jobInspectCommand(), "job inspect"),
		shortcut(jobInitCommand(), "job init"),
		shortcut(allocLogsCommand(), "alloc logs"),
	}
}

func shortcut(cmd *cli.Command, of string) *cli.Command {
	cmd.Usage += " (alias of " + of + ")"
	return cmd
}
