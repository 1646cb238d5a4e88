package command

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// allocChecksCommand is "alloc checks ALLOC", Nomad's: the latest result
// of each of the allocation's service checks.
func allocChecksCommand() *cli.Command {
	return &cli.Command{
		Name:      "checks",
		Usage:     "Display the health check results of an allocation's services",
		ArgsUsage: "ALLOC",
		Flags:     []cli.Flag{addressFlag(), verboseFlag(), jsonFlag()},
		Action: func(c *cli.Context) error {
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			id, err := allocArg(c, client)
			if err != nil {
				return err
			}
			res, err := client.Allocations().Checks(cmdContext(c), id)
			if err != nil {
				return agentError(c, "get allocation checks", err)
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, res)
			}
			formatAllocChecks(c.App.Writer, res, c.Bool("verbose"))
			return nil
		},
	}
}

// sortedCheckResults orders results by service, task and check name.
func sortedCheckResults(res map[string]api.AllocCheckStatus) []api.AllocCheckStatus {
	out := make([]api.AllocCheckStatus, 0, len(res))
	for _, r := range res {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Task != b.Task {
			return a.Task < b.Task
		}
		return a.Check < b.Check
	})
	return out
}

func formatAllocChecks(w io.Writer, res map[string]api.AllocCheckStatus, verbose bool) {
	fmt.Fprintf(w, "Status of %d Nomad Service Checks\n", len(res))
	for _, r := range sortedCheckResults(res) {
		task := r.Task
		if task == "" {
			task = "(group)"
		}
		ts := "(none)"
		if r.Timestamp != 0 {
			ts = time.Unix(r.Timestamp, 0).UTC().Format(time.RFC3339)
		}
		fmt.Fprintln(w)
		kv(w, [][2]string{
			{"ID", shortID(r.ID, verbose)},
			{"Name", r.Check},
			{"Group", r.Group},
			{"Task", task},
			{"Service", r.Service},
			{"Status", r.Status},
			{"StatusCode", fmt.Sprint(r.StatusCode)},
			{"Mode", r.Mode},
			{"Timestamp", ts},
			{"Output", r.Output},
		})
	}
}

// formatAllocStatusChecks is the "Nomad Service Checks" section of alloc
// status; it prints nothing for an allocation without checks.
func formatAllocStatusChecks(w io.Writer, res map[string]api.AllocCheckStatus) {
	if len(res) == 0 {
		return
	}
	fmt.Fprintln(w, "\nNomad Service Checks:")
	rows := [][]string{}
	for _, r := range sortedCheckResults(res) {
		task := r.Task
		if task == "" {
			task = "group"
		}
		rows = append(rows, []string{r.Service, task, r.Check, r.Mode, r.Status})
	}
	table(w, []string{"Service", "Task", "Name", "Mode", "Status"}, rows)
}
