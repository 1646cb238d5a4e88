package command

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// operatorSchedulerCommand is Nomad's `operator scheduler get-config` and
// `set-config` (scheduler algorithm; the candidate limit is a nomadlike
// extension).
func operatorSchedulerCommand() *cli.Command {
	return &cli.Command{
		Name:  "scheduler",
		Usage: "Read and change the scheduler configuration",
		Subcommands: []*cli.Command{{
			Name:   "get-config",
			Usage:  "Show the scheduler configuration",
			Flags:  []cli.Flag{addressFlag(), tokenFlag(), jsonFlag()},
			Action: schedulerGetConfig,
		}, {
			Name:  "set-config",
			Usage: "Change the scheduler configuration (flags not given keep their value)",
			Flags: []cli.Flag{addressFlag(), tokenFlag(),
				&cli.StringFlag{Name: "scheduler-algorithm", Usage: `"binpack" (fullest node first) or "spread" (emptiest node first)`},
				&cli.IntFlag{Name: "candidate-limit", Usage: "feasible nodes scored per placement (0: the default, 64)", Value: -1},
				&cli.Uint64Flag{Name: "check-index", Usage: "write only if the configuration's ModifyIndex is this (check-and-set)"}},
			Action: schedulerSetConfig,
		}},
	}
}

func schedulerGetConfig(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	resp, err := client.Operator().SchedulerGetConfiguration(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "read the scheduler configuration", err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, resp.SchedulerConfig)
	}
	cfg := resp.SchedulerConfig
	limit := "64 (default)"
	if cfg.CandidateLimit > 0 {
		limit = fmt.Sprint(cfg.CandidateLimit)
	}
	fmt.Fprintf(c.App.Writer, "Scheduler Algorithm = %s\nCandidate Limit     = %s\nCreate Index        = %d\nModify Index        = %d\n",
		cfg.Algorithm(), limit, cfg.CreateIndex, cfg.ModifyIndex)
	return nil
}

func schedulerSetConfig(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	cur, err := client.Operator().SchedulerGetConfiguration(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "read the scheduler configuration", err)
	}
	cfg := nomadlike.SchedulerConfiguration{}
	if cur.SchedulerConfig != nil {
		cfg = *cur.SchedulerConfig
	}
	if c.IsSet("scheduler-algorithm") {
		cfg.SchedulerAlgorithm = c.String("scheduler-algorithm")
	}
	if c.IsSet("candidate-limit") {
		cfg.CandidateLimit = c.Int("candidate-limit")
	}
	if err := cfg.Validate(); err != nil {
		return userError("%v", err)
	}
	resp, err := client.Operator().SchedulerSetConfiguration(cmdContext(c), &cfg, c.IsSet("check-index"), c.Uint64("check-index"), nil)
	if err != nil {
		return agentError(c, "set the scheduler configuration", err)
	}
	if !resp.Updated {
		return userError("scheduler configuration could not be atomically updated (-check-index %d is not the current ModifyIndex); please try again", c.Uint64("check-index"))
	}
	fmt.Fprintln(c.App.Writer, "Scheduler configuration updated!")
	return nil
}
