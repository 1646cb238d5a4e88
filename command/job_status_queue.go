package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/queue"
)

// queuePairs is the "Queue" line of job status for a job that waits
// (nomadlike's queue): its place among the jobs waiting for capacity, or a
// dispatched child's place in its parent's max_concurrent line. It is
// empty for a job that does not wait; read errors leave the line out.
func queuePairs(c *cli.Context, client *api.Client, job *nomadlike.Job) [][2]string {
	if job.Stop || job.Status == nomadlike.JobStatusDead || job.IsPeriodic() || job.IsParameterized() {
		return nil
	}
	if line := dependsLine(c, client, job); line != "" {
		return [][2]string{{"Queue", line}}
	}
	if line := dispatchLine(c, client, job); line != "" {
		return [][2]string{{"Queue", line}}
	}
	l, _, err := client.Queue(cmdContext(c), &api.QueryOptions{Namespace: job.Namespace})
	if err != nil {
		return nil
	}
	if e := l.Find(job.Namespace, job.ID); e != nil {
		return [][2]string{{"Queue", e.Status}}
	}
	return nil
}

// dispatchLine says where a dispatched child held by its parent's
// max_concurrent stands: `queued: 2nd of 4 dispatches waiting for
// max_concurrent = 2 of job "render"`; "" when it may run.
func dispatchLine(c *cli.Context, client *api.Client, job *nomadlike.Job) string {
	if !job.Dispatched || job.ParentID == "" {
		return ""
	}
	ctx := cmdContext(c)
	parent, _, err := client.Jobs().Info(ctx, job.ParentID, nil)
	if err != nil || parent.MaxConcurrent() <= 0 {
		return ""
	}
	kids, _, err := client.Jobs().PrefixList(ctx, parent.ID+"/")
	if err != nil {
		return ""
	}
	d := newDispatchCounts(parent, kids)
	for i, id := range d.waiting {
		if id == job.ID {
			return fmt.Sprintf("queued: %s of %d dispatches waiting for max_concurrent = %d of job %q",
				queue.Ordinal(i+1), len(d.waiting), d.limit, parent.ID)
		}
	}
	return ""
}

// dispatchCounts is a parent's max_concurrent line as the CLI sees it from
// the children's stubs (the servers decide it from the same fields: see
// nomadlike.DispatchQueue).
type dispatchCounts struct {
	limit   int
	running int
	waiting []string // child IDs beyond the limit, in line order
}

func newDispatchCounts(parent *nomadlike.Job, kids []*nomadlike.JobListStub) dispatchCounts {
	d := dispatchCounts{limit: parent.MaxConcurrent()}
	var live []*nomadlike.JobListStub
	for _, k := range kids {
		if k.ParentID == parent.ID && !k.Stop && k.Status != nomadlike.JobStatusDead {
			live = append(live, k)
		}
	}
	sort.Slice(live, func(i, k int) bool {
		if live[i].CreateIndex != live[k].CreateIndex {
			return live[i].CreateIndex < live[k].CreateIndex
		}
		return live[i].ID < live[k].ID
	})
	d.running = min(len(live), d.limit)
	for _, k := range live[d.running:] {
		d.waiting = append(d.waiting, k.ID)
	}
	return d
}

// maxConcurrentText is the "Max Concurrent" line of a parameterized parent:
// `2 (2 running, 4 queued)`, or "unlimited".
func maxConcurrentText(parent *nomadlike.Job, kids []*nomadlike.JobListStub) string {
	if parent.MaxConcurrent() <= 0 {
		return "unlimited"
	}
	d := newDispatchCounts(parent, kids)
	return fmt.Sprintf("%d (%d running, %d queued)", d.limit, d.running, len(d.waiting))
}

// dependsLine says what a job with job-level depends_on waits for:
// `waiting for job "build" (running) to finish with success`; "" when its
// dependencies are met.
func dependsLine(c *cli.Context, client *api.Client, job *nomadlike.Job) string {
	if len(job.DependsOn) == 0 {
		return ""
	}
	ctx := cmdContext(c)
	var parts []string
	for _, d := range job.DependsOn {
		if d == nil {
			continue
		}
		dep, _, err := client.Jobs().Info(ctx, d.Job, &api.QueryOptions{Namespace: job.Namespace})
		if err != nil || dep.Status == nomadlike.JobStatusDead {
			continue
		}
		parts = append(parts, fmt.Sprintf("job %q (%s) to finish with %s", d.Job, dep.Status, d.Condition))
	}
	if len(parts) == 0 {
		return ""
	}
	return "waiting for " + strings.Join(parts, " and ")
}
