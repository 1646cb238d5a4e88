package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// jobAllocsCommand is Nomad's `job allocs`: the allocations of one job,
// newest first, as job status lists them.
func jobAllocsCommand() *cli.Command {
	return &cli.Command{
		Name:      "allocs",
		Usage:     "List the allocations of a job",
		ArgsUsage: "ID",
		Description: "Lists the allocations of the job (ID or unique prefix), newest first. With -all,\n" +
			"includes the allocations of earlier jobs that had the same ID (purged, then run\n" +
			"again). With -failed, only the allocations that failed; for batch jobs the\n" +
			"table shows each allocation's index and whether it is the latest attempt of it.",
		Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag(),
			&cli.BoolFlag{Name: "all", Usage: "include allocations of earlier jobs with the same ID"},
			&cli.BoolFlag{Name: "failed", Usage: "only failed allocations (batch and CI)"}},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job allocs")
			if err != nil {
				return err
			}
			allocs, _, err := client.Jobs().Allocations(ctx, id, c.Bool("all"), nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("read allocations of job %q", id), err)
			}
			latest := latestAttempts(allocs)
			if c.Bool("failed") {
				allocs = failedAllocs(allocs)
			}
			w := c.App.Writer
			if c.Bool("json") {
				return printJSON(w, allocs)
			}
			if len(allocs) == 0 {
				fmt.Fprintln(w, "No allocations placed")
				return nil
			}
			if isBatchType(allocs[0].JobType) {
				formatBatchAllocTable(w, allocs, latest, c.Bool("verbose"))
				return nil
			}
			formatAllocTable(w, allocs, c.Bool("verbose"), true)
			return nil
		},
	}
}
