package command

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func jobInspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "Print a registered job as JSON ({\"Job\": ...})",
		ArgsUsage: "ID",
		Flags: []cli.Flag{addressFlag(),
			&cli.StringFlag{Name: "version", Usage: "print stored version `N` instead of the current job"},
		},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job inspect")
			if err != nil {
				return err
			}
			var job *nomadlike.Job
			if s := c.String("version"); s != "" {
				want, perr := strconv.ParseUint(s, 10, 64)
				if perr != nil {
					return userError("-version %q: want a version number", s)
				}
				versions, _, _, err := client.Jobs().Versions(ctx, id, false, nil)
				if err != nil {
					return agentError(c, fmt.Sprintf("read versions of job %q", id), err)
				}
				for _, v := range versions {
					if v.Version == want {
						job = v
					}
				}
				if job == nil {
					return userError("job %q has no version %d", id, want)
				}
			} else {
				job, _, err = client.Jobs().Info(ctx, id, nil)
				if err != nil {
					return agentError(c, fmt.Sprintf("read job %q", id), err)
				}
			}
			return printJSON(c.App.Writer, struct {
				Job *nomadlike.Job `json:"Job"`
			}{job})
		},
	}
}
