package command

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

func jobRunCommand() *cli.Command {
	flags := append(jobFileFlags(), jobSubmitFlags()...)
	flags = append(flags,
		addressFlag(),
		&cli.BoolFlag{
			Name:  "output",
			Usage: "print the job as API JSON ({\"Job\": ...}) instead of submitting it",
		},
	)
	return &cli.Command{
		Name:      "run",
		Usage:     "Submit a job file to the cluster",
		ArgsUsage: "FILE",
		Description: "Parses and validates the job file, then registers the job with the agent at\n" +
			"-address and monitors its evaluation: exit 0 when every allocation was placed,\n" +
			"2 when some could not be. With -wait it then waits for a batch job's outcome\n" +
			"like job wait: 0 succeeded, 3 failed, 4 stopped, 5 -timeout passed. With -output\n" +
			"it prints the job as JSON and submits nothing. FILE - reads the job from stdin.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			path, err := jobFileArg(c)
			if err != nil {
				return err
			}
			job, err := loadJobFile(c, path)
			if err != nil {
				return err
			}
			if c.Bool("output") {
				return writeJobJSON(c, job)
			}
			return runSubmit(c, job)
		},
	}
}

// writeJobJSON prints the job in the request shape of PUT /v1/jobs.
func writeJobJSON(c *cli.Context, job *nomadlike.Job) error {
	b, err := json.MarshalIndent(struct {
		Job *nomadlike.Job `json:"Job"`
	}{job}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode job %q: %w", job.ID, err)
	}
	_, err = fmt.Fprintln(rawWriter(c.App.Writer), string(b))
	return err
}

// runSubmit registers the job with the agent at -address and monitors its
// evaluation (see submitJob in job_submit.go).
func runSubmit(c *cli.Context, job *nomadlike.Job) error {
	return submitJob(c, job)
}
