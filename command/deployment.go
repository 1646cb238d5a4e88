package command

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func deploymentCommand() *cli.Command {
	idFlags := func(extra ...cli.Flag) []cli.Flag {
		return append([]cli.Flag{addressFlag(), verboseFlag(),
			&cli.BoolFlag{Name: "detach", Usage: "return at once instead of monitoring the deployment"}}, extra...)
	}
	return &cli.Command{
		Name:  "deployment",
		Usage: "Interact with deployments",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "List deployments", Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag()},
				Action: deploymentList},
			{Name: "status", Usage: "Show a deployment", ArgsUsage: "ID",
				Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag(),
					&cli.BoolFlag{Name: "monitor", Usage: "follow the deployment until it ends"}},
				Action: deploymentStatus},
			{Name: "promote", Usage: "Promote a deployment's canaries", ArgsUsage: "ID",
				Flags:  idFlags(&cli.StringSliceFlag{Name: "group", Usage: "promote only the canaries of group `NAME` (repeatable)"}),
				Action: deploymentChange("promote")},
			{Name: "fail", Usage: "Mark a deployment failed (auto_revert applies)", ArgsUsage: "ID",
				Flags: idFlags(), Action: deploymentChange("fail")},
			{Name: "pause", Usage: "Pause a deployment", ArgsUsage: "ID",
				Flags: idFlags(), Action: deploymentChange("pause")},
			{Name: "resume", Usage: "Resume a paused deployment", ArgsUsage: "ID",
				Flags: idFlags(), Action: deploymentChange("resume")},
			{Name: "unblock", Usage: "Unblock a multiregion deployment (nomadlike has none)", ArgsUsage: "ID",
				Flags: idFlags(), Action: deploymentChange("unblock")},
		},
	}
}

func deploymentList(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	deps, _, err := client.Deployments().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list deployments", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, deps)
	}
	if len(deps) == 0 {
		fmt.Fprintln(w, "No deployments found")
		return nil
	}
	verbose := c.Bool("verbose")
	rows := make([][]string, 0, len(deps))
	for _, d := range deps {
		rows = append(rows, []string{shortID(d.ID, verbose), d.JobID, strconv.FormatUint(d.JobVersion, 10),
			d.Status, d.StatusDescription})
	}
	table(w, []string{"ID", "Job ID", "Job Version", "Status", "Description"}, rows)
	return nil
}

// resolveDeployment resolves a deployment ID or unique prefix.
func resolveDeployment(ctx context.Context, client *api.Client, prefix string) (string, error) {
	deps, _, err := client.Deployments().List(ctx, &api.QueryOptions{Prefix: prefix})
	if err != nil {
		return "", listError("list deployments", err)
	}
	var ids []string
	for _, d := range deps {
		if d.ID == prefix {
			return d.ID, nil
		}
		ids = append(ids, d.ID)
	}
	switch len(ids) {
	case 0:
		return "", userError("no deployment with ID prefix %q", prefix)
	case 1:
		return ids[0], nil
	}
	sort.Strings(ids)
	return "", userError("deployment ID prefix %q is ambiguous; it matches %s", prefix, strings.Join(ids, ", "))
}

func deploymentArg(c *cli.Context, cmd string) (*api.Client, string, error) {
	if c.NArg() != 1 {
		return nil, "", userError("deployment %s takes one argument, the deployment ID", cmd)
	}
	client, err := apiClient(c)
	if err != nil {
		return nil, "", err
	}
	id, err := resolveDeployment(cmdContext(c), client, c.Args().First())
	return client, id, err
}

func deploymentStatus(c *cli.Context) error {
	client, id, err := deploymentArg(c, "status")
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	d, _, err := client.Deployments().Info(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read deployment %q", id), err)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, d)
	}
	if c.Bool("monitor") {
		return monitorDeployment(c, client, d)
	}
	formatDeployment(c.App.Writer, d, c.Bool("verbose"))
	return nil
}

// formatDeployment prints a deployment as Nomad's deployment status does.
func formatDeployment(w io.Writer, d *nomadlike.Deployment, verbose bool) {
	kv(w, [][2]string{
		{"ID", shortID(d.ID, verbose)},
		{"Job ID", d.JobID},
		{"Job Version", strconv.FormatUint(d.JobVersion, 10)},
		{"Status", d.Status},
		{"Description", d.StatusDescription},
	})
	fmt.Fprintln(w, "\nDeployed")
	formatDeploymentGroups(w, d)
}

// formatDeploymentGroups prints the per-group table: Desired, Placed,
// Healthy, Unhealthy, Progress Deadline (and the canary columns when a
// group has canaries, the auto revert column when one reverts).
func formatDeploymentGroups(w io.Writer, d *nomadlike.Deployment) {
	canaries, revert := false, false
	for _, g := range d.TaskGroups {
		canaries = canaries || g.DesiredCanaries > 0
		revert = revert || g.AutoRevert
	}
	header := []string{"Task Group"}
	if revert {
		header = append(header, "Auto Revert")
	}
	if canaries {
		header = append(header, "Promoted")
	}
	header = append(header, "Desired")
	if canaries {
		header = append(header, "Canaries")
	}
	header = append(header, "Placed", "Healthy", "Unhealthy", "Progress Deadline")
	var rows [][]string
	for _, name := range d.GroupNames() {
		g := d.TaskGroups[name]
		row := []string{name}
		if revert {
			row = append(row, strconv.FormatBool(g.AutoRevert))
		}
		if canaries {
			row = append(row, strconv.FormatBool(g.Promoted))
		}
		row = append(row, strconv.Itoa(g.DesiredTotal))
		if canaries {
			row = append(row, strconv.Itoa(g.DesiredCanaries))
		}
		deadline := "<none>"
		if !g.RequireProgressBy.IsZero() {
			deadline = g.RequireProgressBy.UTC().Format("2006-01-02T15:04:05Z07:00")
		}
		row = append(row, strconv.Itoa(g.PlacedAllocs), strconv.Itoa(g.HealthyAllocs), strconv.Itoa(g.UnhealthyAllocs), deadline)
		rows = append(rows, row)
	}
	table(w, header, rows)
}

// deploymentChange runs promote, fail, pause, resume or unblock and, unless
// -detach, monitors the deployment afterwards.
func deploymentChange(op string) cli.ActionFunc {
	return func(c *cli.Context) error {
		client, id, err := deploymentArg(c, op)
		if err != nil {
			return err
		}
		ctx := cmdContext(c)
		deps := client.Deployments()
		var resp *api.DeploymentUpdateResponse
		switch op {
		case "promote":
			resp, err = deps.Promote(ctx, id, c.StringSlice("group"), nil)
		case "fail":
			resp, err = deps.Fail(ctx, id, nil)
		case "pause", "resume":
			resp, err = deps.Pause(ctx, id, op == "pause", nil)
		case "unblock":
			resp, err = deps.Unblock(ctx, id, nil)
		}
		if err != nil {
			return agentError(c, fmt.Sprintf("%s deployment %q", op, id), err)
		}
		w := c.App.Writer
		verbose := c.Bool("verbose")
		fmt.Fprintf(w, "Deployment %q %s\n", shortID(id, verbose), pastTense(op))
		if resp.EvalID != "" {
			fmt.Fprintf(w, "Evaluation ID: %s\n", shortID(resp.EvalID, verbose))
		}
		if c.Bool("detach") || op == "pause" {
			return nil
		}
		d, _, err := deps.Info(ctx, id, nil)
		if err != nil {
			return agentError(c, fmt.Sprintf("read deployment %q", id), err)
		}
		return monitorDeployment(c, client, d)
	}
}

func pastTense(op string) string {
	switch op {
	case "promote":
		return "promoted"
	case "fail":
		return "marked as failed"
	case "pause":
		return "paused"
	case "resume":
		return "resumed"
	}
	return op + "ed"
}

// formatLatestDeployment prints the job's latest deployment, as Nomad's
// job status does (nothing when the job has none).
func formatLatestDeployment(c *cli.Context, client *api.Client, jobID string) error {
	d, _, err := client.Jobs().LatestDeployment(cmdContext(c), jobID, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read deployment of job %q", jobID), err)
	}
	if d == nil {
		return nil
	}
	w := c.App.Writer
	fmt.Fprintln(w, "\nLatest Deployment")
	kv(w, [][2]string{{"ID", shortID(d.ID, c.Bool("verbose"))}, {"Status", d.Status}, {"Description", d.StatusDescription}})
	fmt.Fprintln(w, "\nDeployed")
	formatDeploymentGroups(w, d)
	return nil
}
