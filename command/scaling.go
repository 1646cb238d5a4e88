package command

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// scalingCommand is Nomad's `scaling` noun: `scaling policy list` and
// `scaling policy info` read the groups' scaling policies.
func scalingCommand() *cli.Command {
	return &cli.Command{
		Name:  "scaling",
		Usage: "Interact with scaling policies",
		Subcommands: []*cli.Command{{
			Name:  "policy",
			Usage: "Interact with scaling policies",
			Subcommands: []*cli.Command{
				{
					Name:  "list",
					Usage: "List scaling policies",
					Flags: []cli.Flag{addressFlag(), jsonFlag(),
						&cli.StringFlag{Name: "job", Usage: "only the policies of this job ID"},
						&cli.StringFlag{Name: "type", Usage: "only the policies of this type (horizontal)"},
					},
					Action: scalingPolicyList,
				},
				{
					Name:      "info",
					Usage:     "Show a scaling policy",
					ArgsUsage: "POLICY_ID",
					Flags:     []cli.Flag{addressFlag(), jsonFlag()},
					Action:    scalingPolicyInfo,
				},
			},
		}},
	}
}

func scalingPolicyList(c *cli.Context) error {
	if c.NArg() != 0 {
		return userError("scaling policy list takes no arguments")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	q := &api.QueryOptions{Params: map[string]string{}}
	for _, f := range []string{"job", "type"} {
		if v := c.String(f); v != "" {
			q.Params[f] = v
		}
	}
	list, _, err := client.Scaling().ListPolicies(cmdContext(c), q)
	if err != nil {
		return agentError(c, "list scaling policies", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "No policies found")
		return nil
	}
	rows := make([][]string, 0, len(list))
	for _, p := range list {
		rows = append(rows, []string{p.ID, strconv.FormatBool(p.Enabled), p.Type, formatTarget(p.Target)})
	}
	table(w, []string{"ID", "Enabled", "Type", "Target"}, rows)
	return nil
}

func scalingPolicyInfo(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("scaling policy info takes one argument, the policy ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	p, _, err := client.Scaling().GetPolicy(cmdContext(c), c.Args().First(), nil)
	if err != nil {
		return agentError(c, "read scaling policy", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, p)
	}
	num := func(n *int64) string {
		if n == nil {
			return "<none>"
		}
		return strconv.FormatInt(*n, 10)
	}
	fmt.Fprintf(w, "ID      = %s\nEnabled = %t\nTarget  = %s\nMin     = %s\nMax     = %s\n",
		p.ID, p.IsEnabled(), formatTarget(p.Target), num(p.Min), num(p.Max))
	if len(p.Policy) > 0 {
		b, err := json.MarshalIndent(p.Policy, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nPolicy:\n%s\n", b)
	}
	return nil
}

// formatTarget prints a target as Nomad does: Key:Value pairs, sorted.
func formatTarget(t map[string]string) string {
	parts := make([]string, 0, len(t))
	for k, v := range t {
		parts = append(parts, k+":"+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
