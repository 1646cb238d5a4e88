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
		// batch and CI: -wait and -timeout (job_wait.go)
		waitFlags(true)[0], waitFlags(true)[1],
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
		placeConfigProblems(c, err) // driver config schemas (#20)
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
	return monitorThenWait(c, client, job.ID, resp.EvalID)
}

// monitorThenWait monitors the evaluation and, with -wait (job_wait.go),
// waits for the job's outcome. Exit 0 on success, 2 when placements failed.
func monitorThenWait(c *cli.Context, client *api.Client, jobID, evalID string) error {
	code, err := monitorEval(cmdContext(c), c.App.Writer, client, evalID, c.Bool("verbose"))
	if err != nil {
		return agentError(c, "monitor", err)
	}
	if code != 0 {
		return withCode(code, fmt.Errorf("job %q: not every allocation was placed", jobID))
	}
	// deployments: follow the rollout of a service job with an update
	// block (deployment_monitor.go); a failed deployment exits 1.
	if err := monitorJobDeployment(c, client, jobID); err != nil {
		return err
	}
	if c.Bool("wait") {
		return waitJob(c, cmdContext(c), client, jobID, false)
	}
	return nil
}
