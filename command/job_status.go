package command

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func jobStatusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "Show the status of jobs, or of one job",
		ArgsUsage: "[ID]",
		Description: "Without an ID, lists the jobs. With an ID (or a unique prefix), shows the job,\n" +
			"its allocation summary per task group, its latest placement failures and its\n" +
			"allocations.",
		Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag(),
			&cli.BoolFlag{Name: "all-allocs", Usage: "include allocations of earlier jobs with the same ID"}},
		Action: jobStatusAction,
	}
}

func jobStatusAction(c *cli.Context) error {
	return listOrShow(c, "job status", "the job ID", listJobs, resolveJob, showJob)
}

func listJobs(c *cli.Context, client *api.Client) error {
	jobs, _, err := client.Jobs().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list jobs", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, jobs)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(w, "No running jobs")
		return nil
	}
	allNS := client.Namespace() == nomadlike.AllNamespaces
	rows := make([][]string, 0, len(jobs))
	for _, j := range jobs {
		row := []string{j.ID, j.Type, strconv.Itoa(j.Priority), jobStatusText(j.Status, j.Stop, j.Outcome), formatUnixNano(j.SubmitTime)}
		if allNS {
			row = append([]string{row[0], j.Namespace}, row[1:]...)
		}
		rows = append(rows, row)
	}
	header := []string{"ID", "Type", "Priority", "Status", "Submit Date"}
	if allNS {
		header = []string{"ID", "Namespace", "Type", "Priority", "Status", "Submit Date"}
	}
	table(w, header, rows)
	return nil
}

func jobStatusString(status string, stop bool) string {
	if stop && status != nomadlike.JobStatusDead {
		return status + " (stopped)"
	}
	if stop {
		return "dead (stopped)"
	}
	return status
}

func showJob(c *cli.Context, client *api.Client, id string) error {
	ctx := cmdContext(c)
	job, _, err := client.Jobs().Info(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read job %q", id), err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, job)
	}
	verbose := c.Bool("verbose")
	pairs := [][2]string{
		{"ID", job.ID},
		{"Name", job.Name},
		{"Submit Date", formatUnixNano(job.SubmitTime)},
		{"Type", job.Type},
		{"Priority", strconv.Itoa(job.Priority)},
		{"Datacenters", strings.Join(job.Datacenters, ",")},
		{"Namespace", job.Namespace},
		{"Node Pool", job.NodePool},
		{"Status", jobStatusText(job.Status, job.Stop, job.Outcome)},
		{"Periodic", strconv.FormatBool(job.IsPeriodic())},
		{"Parameterized", strconv.FormatBool(job.IsParameterized())},
	}
	pairs = append(pairs, childPairs(job, time.Now())...)
	kv(w, append(pairs, queuePairs(c, client, job)...)) // nomadlike's queue (job_status_queue.go)
	if job.IsPeriodic() || job.IsParameterized() {
		// A parent never runs itself: show its children instead.
		return showChildren(c, client, job)
	}
	sum, _, err := client.Jobs().Summary(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read summary of job %q", id), err)
	}
	fmt.Fprintln(w, "\nSummary")
	rows := [][]string{}
	for _, tg := range sortedKeys(sum.Summary) {
		s := sum.Summary[tg]
		rows = append(rows, []string{tg, strconv.Itoa(s.Queued), strconv.Itoa(s.Starting), strconv.Itoa(s.Running),
			strconv.Itoa(s.Failed), strconv.Itoa(s.Complete), strconv.Itoa(s.Lost), strconv.Itoa(s.Unknown)})
	}
	table(w, []string{"Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost", "Unknown"}, rows)

	allocs, _, err := client.Jobs().Allocations(ctx, id, c.Bool("all-allocs"), nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read allocations of job %q", id), err)
	}
	formatPipeline(w, job, allocs) // nomadlike's depends_on (job_status_pipeline.go)

	evals, _, err := client.Jobs().Evaluations(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read evaluations of job %q", id), err)
	}
	if latest := latestFailedEval(evals); latest != nil {
		fmt.Fprintln(w, "\nPlacement Failure")
		formatFailedTGAllocs(w, latest.FailedTGAllocs, "")
		if blocked := blockedEval(evals); blocked != nil {
			fmt.Fprintf(w, "Evaluation %q waiting for additional capacity to place remainder\n", shortID(blocked.ID, verbose))
		}
	}

	if err := formatLatestDeployment(c, client, id); err != nil { // deployments (deployment.go)
		return err
	}

	fmt.Fprintln(w, "\nAllocations")
	if len(allocs) == 0 {
		fmt.Fprintln(w, "No allocations placed")
		return nil
	}
	if isBatchType(job.Type) {
		formatBatchAllocTable(w, allocs, latestAttempts(allocs), verbose) // index and latest attempt (job_outcome_format.go)
		return nil
	}
	formatAllocTable(w, allocs, verbose, true)
	return nil
}

// latestFailedEval returns the newest evaluation that has placement
// failures, when it is newer than every evaluation that placed everything.
func latestFailedEval(evals []*nomadlike.Evaluation) *nomadlike.Evaluation {
	sorted := append([]*nomadlike.Evaluation{}, evals...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].CreateIndex > sorted[j].CreateIndex })
	for _, e := range sorted {
		if e.Status == nomadlike.EvalStatusBlocked {
			continue
		}
		if len(e.FailedTGAllocs) > 0 {
			return e
		}
		if e.Status == nomadlike.EvalStatusComplete {
			return nil
		}
	}
	return nil
}

func blockedEval(evals []*nomadlike.Evaluation) *nomadlike.Evaluation {
	for _, e := range evals {
		if e.Status == nomadlike.EvalStatusBlocked {
			return e
		}
	}
	return nil
}

// formatAllocTable writes allocations like Nomad's job and node status.
func formatAllocTable(w io.Writer, allocs []*nomadlike.AllocListStub, verbose, withNode bool) {
	now := time.Now()
	header := []string{"ID"}
	if withNode {
		header = append(header, "Node ID")
	}
	header = append(header, "Task Group", "Version", "Desired", "Status", "Created", "Modified")
	if !withNode {
		header = []string{"ID", "Eval ID", "Job ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"}
	}
	rows := make([][]string, 0, len(allocs))
	for _, a := range allocs {
		row := []string{shortID(a.ID, verbose)}
		if withNode {
			row = append(row, shortID(a.NodeID, verbose))
		} else {
			row = append(row, shortID(a.EvalID, verbose), a.JobID)
		}
		row = append(row, a.TaskGroup, strconv.FormatUint(a.JobVersion, 10), a.DesiredStatus, a.ClientStatus,
			formatAge(a.CreateTime, now), formatAge(a.ModifyTime, now))
		rows = append(rows, row)
	}
	table(w, header, rows)
}
