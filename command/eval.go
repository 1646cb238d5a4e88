package command

import (
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "Interact with evaluations",
		Subcommands: []*cli.Command{
			{
				Name:  "list",
				Usage: "List evaluations",
				Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag(),
					&cli.StringFlag{Name: "job", Usage: "only evaluations of job `ID`"},
					&cli.StringFlag{Name: "status", Usage: "only evaluations with `STATUS`"},
				},
				Action: evalList,
			},
			{
				Name:      "status",
				Usage:     "Show one evaluation and its placement failures",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{addressFlag(), jsonFlag(), verboseFlag()},
				Action:    evalStatus,
			},
		},
	}
}

func evalList(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	q := &api.QueryOptions{Params: map[string]string{}}
	if j := c.String("job"); j != "" {
		q.Params["job"] = j
	}
	if s := c.String("status"); s != "" {
		q.Params["status"] = s
	}
	evals, _, err := client.Evaluations().List(cmdContext(c), q)
	if err != nil {
		return agentError(c, "list evaluations", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, evals)
	}
	if len(evals) == 0 {
		fmt.Fprintln(w, "No evals found")
		return nil
	}
	verbose := c.Bool("verbose")
	rows := make([][]string, 0, len(evals))
	for _, e := range evals {
		rows = append(rows, []string{shortID(e.ID, verbose), strconv.Itoa(e.Priority), e.TriggeredBy, e.JobID,
			e.Namespace, shortID(e.NodeID, verbose), e.Status, strconv.FormatBool(len(e.FailedTGAllocs) > 0)})
	}
	table(w, []string{"ID", "Priority", "Triggered By", "Job ID", "Namespace", "Node ID", "Status", "Placement Failures"}, rows)
	return nil
}

func evalStatus(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("eval status takes one argument, the evaluation ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	id, err := resolveEval(cmdContext(c), client, c.Args().First())
	if err != nil {
		return err
	}
	return evalStatusByID(c, client, id)
}

func evalStatusByID(c *cli.Context, client *api.Client, id string) error {
	ctx := cmdContext(c)
	e, _, err := client.Evaluations().Info(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read evaluation %q", id), err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, e)
	}
	verbose := c.Bool("verbose")
	pairs := [][2]string{
		{"ID", shortID(e.ID, verbose)},
		{"Create Time", formatAge(e.CreateTime, time.Now())},
		{"Modify Time", formatAge(e.ModifyTime, time.Now())},
		{"Status", e.Status},
		{"Status Description", orNone(e.StatusDescription)},
		{"Type", e.Type},
		{"TriggeredBy", e.TriggeredBy},
		{"Job ID", e.JobID},
		{"Namespace", e.Namespace},
	}
	if e.NodeID != "" {
		pairs = append(pairs, [2]string{"Node ID", shortID(e.NodeID, verbose)})
	}
	pairs = append(pairs,
		[2]string{"Priority", strconv.Itoa(e.Priority)},
		[2]string{"Placement Failures", strconv.FormatBool(len(e.FailedTGAllocs) > 0)})
	if e.PreviousEval != "" {
		pairs = append(pairs, [2]string{"Previous Eval", shortID(e.PreviousEval, verbose)})
	}
	if e.NextEval != "" {
		pairs = append(pairs, [2]string{"Next Eval", shortID(e.NextEval, verbose)})
	}
	if e.BlockedEval != "" {
		pairs = append(pairs, [2]string{"Blocked Eval", shortID(e.BlockedEval, verbose)})
	}
	kv(w, pairs)
	if len(e.FailedTGAllocs) > 0 {
		fmt.Fprintln(w, "\nFailed Placements")
		formatFailedTGAllocs(w, e.FailedTGAllocs, "")
		if e.BlockedEval != "" {
			fmt.Fprintf(w, "Evaluation %q waiting for additional capacity to place remainder\n", shortID(e.BlockedEval, verbose))
		}
	}
	allocs, _, err := client.Evaluations().Allocations(ctx, e.ID, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read allocations of evaluation %q", id), err)
	}
	if len(allocs) > 0 {
		fmt.Fprintln(w, "\nAllocations")
		formatAllocTable(w, allocs, verbose, true)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
