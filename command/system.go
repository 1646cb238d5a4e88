package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// systemCommand is Nomad's `nomad system`: server maintenance.
func systemCommand() *cli.Command {
	return &cli.Command{
		Name:  "system",
		Usage: "Interact with the system API",
		Subcommands: []*cli.Command{{
			Name:  "gc",
			Usage: "Run the servers' garbage collector now",
			Description: "Deletes, through the leader, every dead job with its evaluations and\n" +
				"allocations, every terminal evaluation and every down node that the\n" +
				"periodic collector would delete, without waiting for the thresholds\n" +
				"(server.job_gc_threshold and the others). Needs a management token when\n" +
				"ACLs are enabled.",
			Flags: []cli.Flag{addressFlag()},
			Action: func(c *cli.Context) error {
				if c.NArg() != 0 {
					return userError("system gc takes no arguments")
				}
				client, err := apiClient(c)
				if err != nil {
					return err
				}
				if err := client.System().GarbageCollect(cmdContext(c)); err != nil {
					return agentError(c, "garbage collect", err)
				}
				fmt.Fprintln(c.App.Writer, "Garbage collection complete")
				return nil
			},
		}},
	}
}
