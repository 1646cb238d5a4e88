package command

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/periodic"
)

// childPairs are the job status lines of parents and children: the next
// launch of a periodic job, the parent of a child.
func childPairs(job *nomadlike.Job, now time.Time) [][2]string {
	var out [][2]string
	if job.ParentID != "" {
		out = append(out, [2]string{"Parent ID", job.ParentID})
	}
	if job.IsPeriodic() {
		out = append(out, [2]string{"Next Periodic Launch", nextLaunch(job, now)})
	}
	return out
}

// nextLaunch is when the servers launch the job next, as job status shows
// it. A launch forced or recorded after now is not known here: the schedule
// from now is.
func nextLaunch(job *nomadlike.Job, now time.Time) string {
	if !job.IsPeriodicActive() {
		if job.Stop {
			return "none (job stopped)"
		}
		return "none (schedule disabled)"
	}
	next, err := periodic.Next(job.Periodic, now)
	switch {
	case err != nil:
		return "none (" + err.Error() + ")"
	case next.IsZero():
		return "none (the cron spec names no future time)"
	}
	in := next.Sub(now).Round(time.Second)
	loc := next.Location().String()
	return fmt.Sprintf("%s (%s, in %s)", next.Format("2006-01-02T15:04:05Z07:00"), loc, in)
}

// showChildren writes the parameterized block, the children summary and the
// children of a periodic or parameterized parent.
func showChildren(c *cli.Context, client *api.Client, job *nomadlike.Job) error {
	w := c.App.Writer
	ctx := cmdContext(c)
	jobs, _, err := client.Jobs().PrefixList(ctx, job.ID+"/")
	if err != nil {
		return agentError(c, fmt.Sprintf("list children of job %q", job.ID), err)
	}
	var kids []*nomadlike.JobListStub
	for _, j := range jobs {
		if j.ParentID == job.ID {
			kids = append(kids, j)
		}
	}
	if pj := job.ParameterizedJob; pj != nil {
		fmt.Fprintln(w, "\nParameterized Job")
		kv(w, [][2]string{
			{"Payload", pj.Payload},
			{"Required Metadata", orNone(strings.Join(pj.MetaRequired, ", "))},
			{"Optional Metadata", orNone(strings.Join(pj.MetaOptional, ", "))},
			{"Max Concurrent", maxConcurrentText(job, kids)}, // nomadlike's (job_status_queue.go)
		})
	}
	sum, _, err := client.Jobs().Summary(ctx, job.ID, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read summary of job %q", job.ID), err)
	}
	var cs nomadlike.JobChildrenSummary
	if sum.Children != nil {
		cs = *sum.Children
	}
	fmt.Fprintln(w, "\nChildren Job Summary")
	table(w, []string{"Pending", "Running", "Dead"}, [][]string{{
		strconv.FormatInt(cs.Pending, 10), strconv.FormatInt(cs.Running, 10), strconv.FormatInt(cs.Dead, 10)}})

	sort.Slice(kids, func(i, k int) bool {
		if kids[i].SubmitTime != kids[k].SubmitTime {
			return kids[i].SubmitTime < kids[k].SubmitTime
		}
		return kids[i].ID < kids[k].ID
	})
	title := "Previously Launched Jobs"
	if job.IsParameterized() {
		title = "Dispatched Jobs"
	}
	fmt.Fprintln(w, "\n"+title)
	if len(kids) == 0 {
		fmt.Fprintln(w, "No instances of this job have been launched yet")
		return nil
	}
	rows := make([][]string, 0, len(kids))
	for _, k := range kids {
		rows = append(rows, []string{k.ID, jobStatusText(k.Status, k.Stop, k.Outcome), formatUnixNano(k.SubmitTime)})
	}
	table(w, []string{"ID", "Status", "Submit Date"}, rows)
	return nil
}
