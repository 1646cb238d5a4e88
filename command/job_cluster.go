package command

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// jobClusterCommands are the job subcommands that talk to an agent besides
// run: plan, status, stop, history, inspect, eval (force evaluation),
// dispatch and periodic force.
func jobClusterCommands() []*cli.Command {
	return []*cli.Command{
		jobPlanCommand(),
		jobStatusCommand(),
		jobStopCommand(),
		jobHistoryCommand(),
		jobInspectCommand(),
		jobEvalCommand(),
		jobDispatchCommand(),
		jobPeriodicCommand(),
		jobAllocsCommand(),        // job allocs (job_allocs.go)
		jobScaleCommand(),         // job scale (job_scale.go)
		jobScalingEventsCommand(), // job scaling-events (job_scale.go)
		jobWaitCommand(),          // batch and CI: job wait (job_wait.go)
		jobRerunCommand(),         // batch and CI: job rerun (job_rerun.go)
		jobPromoteCommand(),       // deployments: job promote (job_promote.go)
		jobRevertCommand(),        // deployments: job revert (job_revert.go)
	}
}

func jobEvalCommand() *cli.Command {
	return &cli.Command{
		Name:      "eval",
		Usage:     "Force a new evaluation of a job",
		ArgsUsage: "ID",
		Flags: []cli.Flag{addressFlag(),
			&cli.BoolFlag{Name: "force-reschedule", Usage: "reschedule failed allocations even if their policy would not"},
			&cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and return"},
			verboseFlag(),
		},
		Action: func(c *cli.Context) error {
			client, ctx, id, err := jobArg(c, "job eval")
			if err != nil {
				return err
			}
			resp, _, err := client.Jobs().ForceEvaluate(ctx, id, api.EvalOptions{ForceReschedule: c.Bool("force-reschedule")}, nil)
			if err != nil {
				return agentError(c, "evaluate job "+id, err)
			}
			if c.Bool("detach") {
				fmt.Fprintln(c.App.Writer, resp.EvalID)
				return nil
			}
			code, err := monitorEval(ctx, c.App.Writer, client, resp.EvalID, c.Bool("verbose"))
			if err != nil {
				return agentError(c, "monitor", err)
			}
			if code != 0 {
				return withCode(code, fmt.Errorf("job %q: not every allocation was placed", id))
			}
			return nil
		},
	}
}
