package command

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// monitorDeployment follows a deployment with blocking queries, printing
// its groups whenever they change, until it ends: exit 0 when it is
// successful, 1 when it failed or was cancelled (as Nomad's CLI does).
func monitorDeployment(c *cli.Context, client *api.Client, d *nomadlike.Deployment) error {
	w := c.App.Writer
	verbose := c.Bool("verbose")
	ctx := cmdContext(c)
	fmt.Fprintf(w, "==> %s: Monitoring deployment %q\n", time.Now().UTC().Format(time.RFC3339), shortID(d.ID, verbose))
	var last nomadlike.Deployment
	var index uint64
	for {
		if d.ModifyIndex != last.ModifyIndex {
			fmt.Fprintf(w, "\n    %s\n", time.Now().UTC().Format(time.RFC3339))
			kv(newIndentWriter(w), [][2]string{{"ID", shortID(d.ID, verbose)}, {"Job ID", d.JobID},
				{"Job Version", fmt.Sprint(d.JobVersion)}, {"Status", d.Status}, {"Description", d.StatusDescription}})
			fmt.Fprintln(w, "\n    Deployed")
			formatDeploymentGroups(newIndentWriter(w), d)
			last = *d
		}
		if !d.Active() {
			break
		}
		next, qm, err := client.Deployments().Info(ctx, d.ID, &api.QueryOptions{WaitIndex: max(index, d.ModifyIndex), WaitTime: 10 * time.Second})
		if err != nil {
			return agentError(c, fmt.Sprintf("monitor deployment %q", d.ID), err)
		}
		index, d = qm.LastIndex, next
	}
	switch d.Status {
	case nomadlike.DeploymentStatusSuccessful:
		fmt.Fprintf(w, "\n==> Deployment %q successful\n", shortID(d.ID, verbose))
		return nil
	}
	return withCode(1, fmt.Errorf("deployment %q %s: %s", shortID(d.ID, verbose), d.Status, d.StatusDescription))
}

// indentWriter indents every line by four spaces. It remembers across
// writes whether it is at a line's start: a tabwriter writes a row's cells
// and paddings in several writes.
type indentWriter struct {
	w     interface{ Write([]byte) (int, error) }
	start bool
}

func newIndentWriter(w interface{ Write([]byte) (int, error) }) *indentWriter {
	return &indentWriter{w: w, start: true}
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+16)
	for _, b := range p {
		if iw.start {
			out = append(out, "    "...)
		}
		out = append(out, b)
		iw.start = b == '\n'
	}
	if _, err := iw.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// monitorJobDeployment follows the deployment of job id's current version
// after its evaluation, when it has one (job run of a service job with an
// update block).
func monitorJobDeployment(c *cli.Context, client *api.Client, id string) error {
	ctx := cmdContext(c)
	job, _, err := client.Jobs().Info(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read job %q", id), err)
	}
	d, _, err := client.Jobs().LatestDeployment(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read deployment of job %q", id), err)
	}
	if d == nil || d.JobVersion != job.Version || d.JobCreateIndex != job.CreateIndex {
		return nil
	}
	fmt.Fprintln(c.App.Writer)
	return monitorDeployment(c, client, d)
}
