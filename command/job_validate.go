package command

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func jobValidateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "Check a job file for errors without submitting it",
		ArgsUsage: "FILE",
		Description: "Parses the job file, evaluating its variables, and runs every check a server\n" +
			"would run on submission. Problems are printed as file:line:col with the\n" +
			"source line. Then, as Nomad's, it asks the agent at -address to validate the\n" +
			"job too: the servers check each task's config block against the config schema\n" +
			"its driver published. When no agent answers, the job is validated locally only.\n" +
			"FILE - reads the job from stdin.",
		Flags: append(jobFileFlags(), addressFlag()),
		Action: func(c *cli.Context) error {
			path, err := jobFileArg(c)
			if err != nil {
				return err
			}
			job, err := loadJobFile(c, path)
			if err != nil {
				return err
			}
			if err := validateWithAgent(c, path, job); err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, "Job validation successful")
			return nil
		},
	}
}

// validateWithAgent has the agent's servers validate job (PUT
// /v1/validate/job): its problems are an error, its warnings are printed.
// An agent that cannot be reached is a note on the error stream, not an
// error: the local checks passed.
func validateWithAgent(c *cli.Context, path string, job *nomadlike.Job) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	applyJobNamespace(c, client, job) // namespaces (namespace_flag.go)
	resp, err := client.Jobs().Validate(cmdContext(c), job, nil)
	var se *api.StatusError
	switch {
	case errors.As(err, &se):
		return agentError(c, fmt.Sprintf("validate job %q", job.ID), err)
	case err != nil:
		fmt.Fprintf(c.App.ErrWriter, "Note: no agent at %s (%v); the job was validated locally only, without the drivers' config schemas\n", agentAddress(c), err)
		return nil
	}
	if warnings := serverWarnings(resp.Warnings, job); warnings != "" {
		fmt.Fprintf(c.App.Writer, "Job Warnings:\n%s\n\n", warnings)
	}
	if len(resp.ValidationErrors) == 0 && resp.Error == "" {
		return nil
	}
	problems := resp.ValidationErrors
	if len(problems) == 0 {
		problems = []string{resp.Error}
	}
	for _, p := range problems {
		fmt.Fprintln(c.App.ErrWriter, placeProblem(path, p))
	}
	return userError("job %q is not valid: %d %s", job.ID, len(problems), plural(len(problems), "problem", "problems"))
}

// placeProblem prefixes a server's problem about a task's config
// (`group "g" task "t" config.key: ...`) with the key's file:line:col
// when the job file has it.
func placeProblem(path, problem string) string {
	if pos := configPosition(path, problem); pos != "" && !strings.HasPrefix(problem, pos) {
		return pos + ": " + problem
	}
	return problem
}
