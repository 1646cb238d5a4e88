package command

import (
	"context"
	"errors"
	"strings"

	"github.com/urfave/cli/v2"
)

// monitorCommand is "monitor [-log-level LEVEL] [-json]", as Nomad's:
// streams the agent's logs until Ctrl-C.
func monitorCommand() *cli.Command {
	return &cli.Command{
		Name:  "monitor",
		Usage: "Stream the logs of an agent",
		Description: "Streams the log lines of the agent at -address (the local one by default) at\n" +
			"-log-level and above (trace, debug, info, warn, error) until interrupted.\n" +
			"Needs agent:read when ACLs are enabled.",
		Flags: []cli.Flag{
			addressFlag(),
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "lowest level to show: trace, debug, info, warn, error"},
			&cli.BoolFlag{Name: "json", Usage: "log lines as JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return userError("monitor takes no arguments, got %q", c.Args().Slice())
			}
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			out := rawWriter(c.App.Writer)
			ctx := cmdContext(c)
			err = client.Monitor(ctx, strings.ToLower(c.String("log-level")), c.Bool("json"), func(b []byte) error {
				_, err := out.Write(b)
				return err
			})
			if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
				return agentError(c, "monitor", err)
			}
			return nil
		},
	}
}
