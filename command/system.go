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
		}, {
			Name:  "reconcile",
			Usage: "Reconcile system state",
			Subcommands: []*cli.Command{{
				Name:  "summaries",
				Usage: "Rebuild the job summaries' allocation counts",
				Description: "Recounts, for every job, its allocations by task group and client status\n" +
					"from the allocations the servers store (after a garbage collection, the\n" +
					"counts of the allocations it deleted go). Queued counts are kept. Needs a\n" +
					"management token when ACLs are enabled.",
				Flags: []cli.Flag{addressFlag()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 0 {
						return userError("system reconcile summaries takes no arguments")
					}
					client, err := apiClient(c)
					if err != nil {
						return err
					}
					if err := client.System().ReconcileSummaries(cmdContext(c)); err != nil {
						return agentError(c, "reconcile job summaries", err)
					}
					fmt.Fprintln(c.App.Writer, "Reconciled job summaries")
					return nil
				},
			}},
		}},
	}
}
