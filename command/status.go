package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "Show the status of jobs, or of any object by ID prefix",
		ArgsUsage: "[ID]",
		Description: "Without an ID, lists the jobs. With an ID or prefix, finds the job,\n" +
			"allocation, node or evaluation it names and shows its status.",
		Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag(),
			&cli.BoolFlag{Name: "all-allocs", Usage: "with a job, include allocations of earlier jobs with the same ID"}},
		Action: statusAction,
	}
}

func statusAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return userError("status takes at most one argument, an ID or ID prefix")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 {
		return listJobs(c, client)
	}
	prefix := c.Args().First()
	res, _, err := client.Search().PrefixSearch(cmdContext(c), prefix, api.SearchAll, nil)
	if err != nil {
		return agentError(c, "search", err)
	}
	var found []string
	for _, ctx := range []string{api.SearchJobs, api.SearchAllocs, api.SearchNodes, api.SearchEvals} {
		if ids := res.Matches[ctx]; len(ids) > 0 {
			found = append(found, ctx)
		}
	}
	switch len(found) {
	case 0:
		return userError("No job(s), allocation(s), node(s) or evaluation(s) with prefix or id %q found", prefix)
	case 1:
	default:
		var lines []string
		for _, ctx := range found {
			ids := append([]string{}, res.Matches[ctx]...)
			sort.Strings(ids)
			lines = append(lines, fmt.Sprintf("%s: %s", ctx, strings.Join(ids, ", ")))
		}
		return userError("prefix %q matches several kinds of objects:\n  %s\nuse a longer prefix or the noun's own status command",
			prefix, strings.Join(lines, "\n  "))
	}
	ids := res.Matches[found[0]]
	id, err := pickOne(found[0], prefix, ids)
	if err != nil {
		return err
	}
	switch found[0] {
	case api.SearchJobs:
		return showJob(c, client, id)
	case api.SearchNodes:
		return showNode(c, client, id)
	case api.SearchEvals:
		return evalStatusByID(c, client, id)
	default:
		return allocBrief(c, client, id)
	}
}

// allocBrief shows the status of one allocation as `alloc status` does.
func allocBrief(c *cli.Context, client *api.Client, id string) error {
	a, _, err := client.Allocations().Info(cmdContext(c), id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read allocation %q", id), err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, a)
	}
	formatAllocStatus(c.App.Writer, a, c.Bool("verbose"), time.Now())
	return nil
}
