package command

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"
)

// jobRevertCommand is Nomad's job revert JOB VERSION: register that
// version's spec again as a new version, then monitor its evaluation (and
// deployment).
func jobRevertCommand() *cli.Command {
	return &cli.Command{
		Name:      "revert",
		Usage:     "Revert a job to an earlier version",
		ArgsUsage: "ID VERSION",
		Flags: []cli.Flag{addressFlag(), verboseFlag(),
			&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return instead of monitoring it"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return userError("job revert takes two arguments, the job ID and the version")
			}
			version, err := strconv.ParseUint(c.Args().Get(1), 10, 64)
			if err != nil {
				return userError("job revert: version %q: want a version number", c.Args().Get(1))
			}
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			ctx := cmdContext(c)
			id, err := resolveJob(ctx, client, c.Args().First())
			if err != nil {
				return err
			}
			resp, err := client.Jobs().Revert(ctx, id, version, nil, nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("revert job %q to version %d", id, version), err)
			}
			w := c.App.Writer
			if resp.EvalID == "" || c.Bool("detach") {
				fmt.Fprintf(w, "Job %q reverted to version %d\n", id, version)
				if resp.EvalID != "" {
					fmt.Fprintf(w, "Evaluation ID: %s\n", resp.EvalID)
				}
				return nil
			}
			return monitorThenWait(c, client, id, resp.EvalID)
		},
	}
}
