package command

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// jobSubmitFlags are the flags `job run` adds for submission.
func jobSubmitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return instead of monitoring it"},
		&cli.Uint64Flag{Name: "check-index", Usage: "register only if the job's modify index is `N` (0: the job must not exist)"},
		verboseFlag(),
	}
}

// submitJob registers job with the agent at -address and, unless -detach,
// monitors its evaluation. Exit 0 on success, 2 when placements failed.
func submitJob(c *cli.Context, job *nomadlike.Job) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	applyJobNamespace(c, client, job) // namespaces (namespace_flag.go)
	ctx := cmdContext(c)
	enforce := c.IsSet("check-index")
	resp, _, err := client.Jobs().EnforceRegister(ctx, job, enforce, c.Uint64("check-index"), nil)
	if err != nil {
		var se *api.StatusError
		if enforce && errors.As(err, &se) && se.Code == 409 {
			return userError("job %q not registered: %s", job.ID, se.Body)
		}
		return agentError(c, fmt.Sprintf("register job %q", job.ID), err)
	}
	w := c.App.Writer
	if warnings := serverWarnings(resp.Warnings, job); warnings != "" {
		fmt.Fprintf(w, "Job Warnings:\n%s\n\n", warnings)
	}
	if resp.EvalID == "" {
		// Periodic and parameterized jobs are registered without an evaluation.
		fmt.Fprintf(w, "Job registration successful\n")
		return nil
	}
	if c.Bool("detach") {
		fmt.Fprintln(w, "Job registration successful")
		fmt.Fprintf(w, "Evaluation ID: %s\n", resp.EvalID)
		return nil
	}
	code, err := monitorEval(ctx, w, client, resp.EvalID, c.Bool("verbose"))
	if err != nil {
		return agentError(c, "monitor", err)
	}
	if code != 0 {
		return withCode(code, fmt.Errorf("job %q: not every allocation was placed", job.ID))
	}
	return nil
}
