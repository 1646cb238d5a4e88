package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func jobStopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "Stop a running job",
		ArgsUsage: "ID",
		Description: "Deregisters the job: its allocations are stopped. With -purge the job and its\n" +
			"history are removed. Monitors the resulting evaluation unless -detach.",
		Flags: []cli.Flag{addressFlag(),
			&cli.BoolFlag{Name: "purge", Usage: "remove the job and its history instead of marking it stopped"},
			&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "accepted for compatibility; stop never prompts"},
			verboseFlag(),
		},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job stop")
			if err != nil {
				return err
			}
			resp, _, err := client.Jobs().Deregister(ctx, id, c.Bool("purge"), nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("stop job %q", id), err)
			}
			w := c.App.Writer
			if resp.EvalID == "" {
				fmt.Fprintf(w, "Job %q stopped\n", id)
				return nil
			}
			if c.Bool("detach") {
				fmt.Fprintln(w, resp.EvalID)
				return nil
			}
			code, err := monitorEval(ctx, w, client, resp.EvalID, c.Bool("verbose"))
			if err != nil {
				return agentError(c, "monitor", err)
			}
			if code != 0 {
				return withCode(code, fmt.Errorf("job %q: evaluation did not complete cleanly", id))
			}
			return nil
		},
	}
}
