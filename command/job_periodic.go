package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func jobPeriodicCommand() *cli.Command {
	return &cli.Command{
		Name:  "periodic",
		Usage: "Interact with periodic jobs",
		Subcommands: []*cli.Command{{
			Name:      "force",
			Usage:     "Launch a child of a periodic job now",
			ArgsUsage: "JOB",
			Description: "Launches a child JOB/periodic-<time> at once, whatever the schedule and\n" +
				"prohibit_overlap say, then monitors its evaluation. The next scheduled\n" +
				"launch is the first after now.",
			Flags: []cli.Flag{addressFlag(),
				&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return"},
				verboseFlag(),
			},
			Action: func(c *cli.Context) error {
				client, ctx, id, err := jobArg(c, "job periodic force")
				if err != nil {
					return err
				}
				resp, _, err := client.Jobs().PeriodicForce(ctx, id, nil)
				if err != nil {
					return agentError(c, fmt.Sprintf("force launch of job %q", id), err)
				}
				w := c.App.Writer
				if c.Bool("detach") {
					fmt.Fprintln(w, "Force periodic successful")
					fmt.Fprintf(w, "Evaluation ID: %s\n", resp.EvalID)
					return nil
				}
				code, err := monitorEval(ctx, w, client, resp.EvalID, c.Bool("verbose"))
				if err != nil {
					return agentError(c, "monitor", err)
				}
				if code != 0 {
					return withCode(code, fmt.Errorf("job %q: not every allocation of the launched child was placed", id))
				}
				return nil
			},
		}},
	}
}
