package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// jobPromoteCommand is Nomad's job promote: promote the canaries of the
// job's latest deployment (every group, or -group ones) and monitor it.
func jobPromoteCommand() *cli.Command {
	return &cli.Command{
		Name:      "promote",
		Usage:     "Promote the canaries of a job's latest deployment",
		ArgsUsage: "ID",
		Flags: []cli.Flag{addressFlag(), verboseFlag(),
			&cli.StringSliceFlag{Name: "group", Usage: "promote only the canaries of group `NAME` (repeatable)"},
			&cli.BoolFlag{Name: "detach", Usage: "return at once instead of monitoring the deployment"},
		},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job promote")
			if err != nil {
				return err
			}
			d, _, err := client.Jobs().LatestDeployment(ctx, id, nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("read deployment of job %q", id), err)
			}
			if d == nil {
				return userError("job %q has no deployment to promote", id)
			}
			resp, err := client.Deployments().Promote(ctx, d.ID, c.StringSlice("group"), nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("promote deployment %q", d.ID), err)
			}
			w := c.App.Writer
			verbose := c.Bool("verbose")
			fmt.Fprintf(w, "Deployment %q promoted\n", shortID(d.ID, verbose))
			if resp.EvalID != "" {
				fmt.Fprintf(w, "Evaluation ID: %s\n", shortID(resp.EvalID, verbose))
			}
			if c.Bool("detach") {
				return nil
			}
			d, _, err = client.Deployments().Info(ctx, d.ID, nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("read deployment %q", d.ID), err)
			}
			return monitorDeployment(c, client, d)
		},
	}
}
