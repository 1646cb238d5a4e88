package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// jobRerunCommand is nomadlike's `job rerun`: run a finished batch job
// again, whole or only its failed indexes (Nomad cannot run an unchanged
// batch job again).
func jobRerunCommand() *cli.Command {
	return &cli.Command{
		Name:      "rerun",
		Usage:     "Run a finished batch job again, whole or only its failed indexes",
		ArgsUsage: "JOB",
		Description: "Registers a new version of the finished batch or sysbatch job JOB (ID or unique\n" +
			"prefix) that differs only by a rerun marker, and monitors its evaluation. With\n" +
			"-failed only the indexes whose latest attempt did not succeed run again; the\n" +
			"others keep their completed allocations. With -wait it then waits like job wait.\n" +
			"Exit codes as job run, and with -wait as job wait.",
		Flags: append([]cli.Flag{addressFlag(), verboseFlag(),
			&cli.BoolFlag{Name: "failed", Usage: "run only the indexes whose latest attempt failed or was stopped"},
			&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return"},
		}, waitFlags(true)...),
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job rerun")
			if err != nil {
				return err
			}
			resp, _, err := client.Jobs().Rerun(ctx, id, c.Bool("failed"), nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("rerun job %q", id), err)
			}
			w := c.App.Writer
			if c.Bool("detach") {
				fmt.Fprintln(w, "Job rerun registered")
				fmt.Fprintf(w, "Evaluation ID: %s\n", resp.EvalID)
				return nil
			}
			return monitorThenWait(c, client, id, resp.EvalID)
		},
	}
}
