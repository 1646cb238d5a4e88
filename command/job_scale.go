package command

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// scaleMessage is the message of the scaling events the CLI records.
const scaleMessage = "submitted using the nomadlike CLI"

// jobScaleCommand is Nomad's `job scale JOB [GROUP] COUNT`: a new count
// for a task group, through the scheduler (a new job version and an
// evaluation, which it monitors unless -detach).
func jobScaleCommand() *cli.Command {
	return &cli.Command{
		Name:      "scale",
		Usage:     "Change the count of a task group",
		ArgsUsage: "JOB [GROUP] COUNT",
		Description: "Sets the count of the job's task group (GROUP may be left out when the job has\n" +
			"one group). The change is a new version of the job and an evaluation, which the\n" +
			"command monitors unless -detach; the server records it as a scaling event\n" +
			"(job scaling-events). The server's job_max_count applies.",
		Flags: []cli.Flag{addressFlag(),
			&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return"},
			verboseFlag(),
		},
		Action: jobScaleAction,
	}
}

func jobScaleAction(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) != 2 && len(args) != 3 {
		return userError("job scale takes two or three arguments: JOB [GROUP] COUNT")
	}
	count, err := strconv.ParseInt(args[len(args)-1], 10, 64)
	if err != nil || count < 0 {
		return userError("COUNT: %q is not a count (a whole number, 0 or more)", args[len(args)-1])
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	id, err := resolveJob(ctx, client, args[0])
	if err != nil {
		return err
	}
	group := ""
	if len(args) == 3 {
		group = args[1]
	} else {
		job, _, err := client.Jobs().Info(ctx, id, nil)
		if err != nil {
			return agentError(c, fmt.Sprintf("read job %q", id), err)
		}
		if len(job.TaskGroups) != 1 {
			return userError("job %q has %d task groups: name the one to scale (job scale %s GROUP %d)", id, len(job.TaskGroups), id, count)
		}
		group = job.TaskGroups[0].Name
	}
	resp, _, err := client.Jobs().Scale(ctx, id, group, &count, scaleMessage, false, nil, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("scale job %q", id), err)
	}
	w := c.App.Writer
	if resp.Warnings != "" {
		fmt.Fprintf(w, "Job Warnings:\n%s\n\n", resp.Warnings)
	}
	if c.Bool("detach") || resp.EvalID == "" {
		fmt.Fprintf(w, "Job %q group %q scaled to %d: evaluation ID %s\n", id, group, count, resp.EvalID)
		return nil
	}
	code, err := monitorEval(ctx, w, client, resp.EvalID, c.Bool("verbose"))
	if err != nil {
		return agentError(c, "monitor", err)
	}
	if code != 0 {
		return withCode(code, fmt.Errorf("job %q: not every allocation was placed", id))
	}
	return nil
}

// jobScalingEventsCommand is Nomad's `job scaling-events`: each group's
// recorded scaling events, newest first.
func jobScalingEventsCommand() *cli.Command {
	return &cli.Command{
		Name:      "scaling-events",
		Usage:     "List the scaling events of a job",
		ArgsUsage: "JOB",
		Flags:     []cli.Flag{addressFlag(), jsonFlag(), verboseFlag()},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job scaling-events")
			if err != nil {
				return err
			}
			st, _, err := client.Jobs().ScaleStatus(ctx, id, nil)
			if err != nil {
				return agentError(c, fmt.Sprintf("read scale status of job %q", id), err)
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, st)
			}
			printScalingEvents(c, st)
			return nil
		},
	}
}

func printScalingEvents(c *cli.Context, st *api.JobScaleStatusResponse) {
	w, verbose := c.App.Writer, c.Bool("verbose")
	groups := make([]string, 0, len(st.TaskGroups))
	for g := range st.TaskGroups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	header := []string{"Task Group", "Count", "PrevCount", "Date"}
	if verbose {
		header = []string{"Task Group", "Count", "PrevCount", "Error", "Date", "Eval ID", "Message"}
	}
	var rows [][]string
	for _, g := range groups {
		for _, ev := range st.TaskGroups[g].Events {
			rows = append(rows, scalingEventRow(g, ev, verbose))
		}
	}
	if len(rows) == 0 {
		fmt.Fprintf(w, "No events found for job %q\n", st.JobID)
		return
	}
	table(w, header, rows)
}

func scalingEventRow(group string, ev *nomadlike.ScalingEvent, verbose bool) []string {
	count := "-"
	if ev.Count != nil {
		count = strconv.FormatInt(*ev.Count, 10)
	}
	date := time.Unix(0, int64(ev.Time)).Local().Format("Jan 02 15:04:05 -0700 MST")
	if !verbose {
		return []string{group, count, strconv.FormatInt(ev.PreviousCount, 10), date}
	}
	evalID := "-"
	if ev.EvalID != nil {
		evalID = *ev.EvalID
	}
	return []string{group, count, strconv.FormatInt(ev.PreviousCount, 10), strconv.FormatBool(ev.Error), date, evalID, ev.Message}
}
