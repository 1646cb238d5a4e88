package command

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "Interact with client nodes",
		Subcommands: []*cli.Command{
			{
				Name:      "status",
				Usage:     "List nodes, or show one node",
				ArgsUsage: "[ID]",
				Description: "Without an ID, lists the client nodes. With an ID (or unique prefix), shows\n" +
					"the node, its drivers and their health, its resources and allocations, and\n" +
					"with -verbose its attributes and meta.",
				Flags:  []cli.Flag{addressFlag(), jsonFlag(), verboseFlag()},
				Action: nodeStatus,
			},
			{
				Name:      "drain",
				Usage:     "Start or stop draining a node",
				ArgsUsage: "ID",
				Flags: []cli.Flag{addressFlag(),
					&cli.BoolFlag{Name: "enable", Usage: "start draining"},
					&cli.BoolFlag{Name: "disable", Usage: "stop draining"},
					&cli.DurationFlag{Name: "deadline", Value: time.Hour, Usage: "how long allocations may take to migrate before they are stopped"},
					&cli.BoolFlag{Name: "force", Usage: "stop every allocation now (deadline -1)"},
					&cli.BoolFlag{Name: "no-deadline", Usage: "migrate without a deadline"},
					&cli.BoolFlag{Name: "ignore-system", Usage: "leave system jobs running"},
					&cli.BoolFlag{Name: "keep-ineligible", Usage: "with -disable, leave the node ineligible"},
					&cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation"},
					&cli.BoolFlag{Name: "detach", Usage: "return once the drain is set instead of monitoring it"},
				},
				Action: nodeDrain,
			},
			{
				Name:      "eligibility",
				Usage:     "Mark a node eligible or ineligible for new allocations",
				ArgsUsage: "ID",
				Flags: []cli.Flag{addressFlag(),
					&cli.BoolFlag{Name: "enable", Usage: "make the node eligible"},
					&cli.BoolFlag{Name: "disable", Usage: "make the node ineligible"},
				},
				Action: nodeEligibility,
			},
		},
	}
}

func nodeStatus(c *cli.Context) error {
	return listOrShow(c, "node status", "the node ID", listNodes, resolveNode, showNode)
}

func listNodes(c *cli.Context, client *api.Client) error {
	nodes, _, err := client.Nodes().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list nodes", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, nodes)
	}
	if len(nodes) == 0 {
		fmt.Fprintln(w, "No nodes registered")
		return nil
	}
	verbose := c.Bool("verbose")
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		rows = append(rows, []string{shortID(n.ID, verbose), n.NodePool, n.Datacenter, n.Name, orDash(n.NodeClass),
			strconv.FormatBool(n.Drain), n.SchedulingEligibility, n.Status})
	}
	table(w, []string{"ID", "Node Pool", "DC", "Name", "Class", "Drain", "Eligibility", "Status"}, rows)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func showNode(c *cli.Context, client *api.Client, id string) error {
	ctx := cmdContext(c)
	n, _, err := client.Nodes().Info(ctx, id, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read node %q", id), err)
	}
	allocs, _, err := client.Nodes().Allocations(ctx, n.ID, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("read allocations of node %q", id), err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, n)
	}
	verbose := c.Bool("verbose")
	var healthy []string
	for _, name := range sortedKeys(n.Drivers) {
		if d := n.Drivers[name]; d.Detected && d.Healthy {
			healthy = append(healthy, name)
		}
	}
	kv(w, withHostVolumes(n, [][2]string{
		{"ID", shortID(n.ID, verbose)},
		{"Name", n.Name},
		{"Node Pool", n.NodePool},
		{"Class", orDash(n.NodeClass)},
		{"DC", n.Datacenter},
		{"Address", n.HTTPAddr},
		{"Drain", drainString(n)},
		{"Eligibility", n.SchedulingEligibility},
		{"Status", n.Status},
		{"Drivers", strings.Join(healthy, ",")},
	})) // host volumes: node_hostvolumes.go

	fmt.Fprintln(w, "\nDrivers")
	rows := [][]string{}
	for _, name := range sortedKeys(n.Drivers) {
		d := n.Drivers[name]
		updated := "<none>"
		if !d.UpdateTime.IsZero() {
			updated = d.UpdateTime.UTC().Format(time.RFC3339)
		}
		msg := d.HealthDescription
		if !verbose {
			msg = firstLine(msg, 60)
		}
		rows = append(rows, []string{name, strconv.FormatBool(d.Detected), strconv.FormatBool(d.Healthy), orDash(msg), updated})
	}
	table(w, []string{"Driver", "Detected", "Healthy", "Message", "Time"}, rows)

	formatNodeResources(w, n, allocs)

	fmt.Fprintln(w, "\nAllocations")
	stubs := make([]*nomadlike.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		stubs = append(stubs, a.Stub())
	}
	sort.Slice(stubs, func(i, j int) bool { return stubs[i].CreateIndex > stubs[j].CreateIndex })
	if len(stubs) == 0 {
		fmt.Fprintln(w, "No allocations placed")
	} else {
		formatAllocTable(w, stubs, verbose, false)
	}

	if verbose {
		formatHostVolumes(w, n)
		fmt.Fprintln(w, "\nAttributes")
		pairs := [][2]string{}
		for _, k := range sortedKeys(n.Attributes) {
			pairs = append(pairs, [2]string{k, n.Attributes[k]})
		}
		kv(w, pairs)
		if len(n.Meta) > 0 {
			fmt.Fprintln(w, "\nMeta")
			pairs = pairs[:0]
			for _, k := range sortedKeys(n.Meta) {
				pairs = append(pairs, [2]string{k, n.Meta[k]})
			}
			kv(w, pairs)
		}
	}
	return nil
}

// firstLine shortens a message to its first line and at most n runes.
func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " ..."
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n-3]) + "..."
	}
	return s
}

func drainString(n *nomadlike.Node) string {
	d := n.DrainStrategy
	if d == nil {
		return "false"
	}
	switch {
	case d.Deadline < 0 || (!d.ForceDeadline.IsZero() && !d.ForceDeadline.After(d.StartedAt)):
		return "true (force)"
	case d.ForceDeadline.IsZero():
		return "true (no deadline)"
	}
	return "true (deadline " + d.ForceDeadline.UTC().Format(time.RFC3339) + ")"
}

// formatNodeResources writes what the node's running allocations hold of
// what it offers.
func formatNodeResources(w io.Writer, n *nomadlike.Node, allocs []*nomadlike.Allocation) {
	total := n.Comparable()
	var used nomadlike.ComparableResources
	for _, a := range allocs {
		if !a.TerminalStatus() {
			used.Add(a.Comparable())
		}
	}
	fmt.Fprintln(w, "\nAllocated Resources")
	table(w, []string{"CPU", "Memory", "Disk"}, [][]string{{
		fmt.Sprintf("%d/%d MHz", used.CPU, total.CPU),
		fmt.Sprintf("%s/%s", humanMB(used.MemoryMB), humanMB(total.MemoryMB)),
		fmt.Sprintf("%s/%s", humanMB(used.DiskMB), humanMB(total.DiskMB)),
	}})
}

// enableDisable reads the -enable/-disable pair; exactly one must be set.
func enableDisable(c *cli.Context) (bool, error) {
	en, dis := c.Bool("enable"), c.Bool("disable")
	if en == dis {
		return false, userError("%s needs exactly one of -enable or -disable", c.Command.HelpName)
	}
	return en, nil
}

func nodeDrain(c *cli.Context) error {
	enable, err := enableDisable(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return userError("node drain takes one argument, the node ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	id, err := resolveNode(ctx, client, c.Args().First())
	if err != nil {
		return err
	}
	w := c.App.Writer
	if !enable {
		if _, err := client.Nodes().UpdateDrain(ctx, id, nil, !c.Bool("keep-ineligible"), nil); err != nil {
			return agentError(c, fmt.Sprintf("stop draining node %q", id), err)
		}
		fmt.Fprintf(w, "%s: Drain disabled for node %q\n", now(), id)
		return nil
	}
	if !c.Bool("yes") && !confirm(c, fmt.Sprintf("Are you sure you want to enable drain mode for node %q?", id)) {
		return userError("drain of node %q not enabled", id)
	}
	spec := &api.DrainSpec{Deadline: c.Duration("deadline"), IgnoreSystemJobs: c.Bool("ignore-system")}
	switch {
	case c.Bool("force"):
		spec.Deadline = -1
	case c.Bool("no-deadline"):
		spec.Deadline = 0
	case spec.Deadline <= 0:
		return userError("-deadline must be positive; use -force or -no-deadline")
	}
	resp, err := client.Nodes().UpdateDrain(ctx, id, spec, false, nil)
	if err != nil {
		return agentError(c, fmt.Sprintf("drain node %q", id), err)
	}
	fmt.Fprintf(w, "%s: Node %q drain strategy set\n", now(), id)
	if c.Bool("detach") {
		return nil
	}
	fmt.Fprintf(w, "%s: Ctrl-C to stop monitoring: will not cancel the node drain\n", now())
	return monitorDrain(ctx, w, client, id, resp.Index)
}

// monitorDrain follows a draining node with blocking queries: the count of
// allocations still running on it, then the end of the drain.
func monitorDrain(ctx context.Context, w io.Writer, client *api.Client, id string, index uint64) error {
	remaining := -1
	for {
		n, qm, err := client.Nodes().Info(ctx, id, &api.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second})
		if err != nil {
			return fmt.Errorf("monitor drain of node %q: %w", id, err)
		}
		allocs, _, err := client.Nodes().Allocations(ctx, id, nil)
		if err != nil {
			return fmt.Errorf("monitor drain of node %q: %w", id, err)
		}
		live := 0
		for _, a := range allocs {
			if !a.TerminalStatus() {
				live++
			}
		}
		if live != remaining {
			remaining = live
			fmt.Fprintf(w, "%s: %d %s left on node %q\n", now(), live, countNoun(live, "allocation", "allocations"), id)
		}
		if n.DrainStrategy == nil {
			if n.SchedulingEligibility == nomadlike.NodeSchedulingEligible {
				fmt.Fprintf(w, "%s: Drain of node %q was cancelled\n", now(), id)
			} else {
				fmt.Fprintf(w, "%s: Drain complete for node %q\n", now(), id)
			}
			return nil
		}
		if qm.LastIndex > index {
			index = qm.LastIndex
		}
	}
}

func nodeEligibility(c *cli.Context) error {
	enable, err := enableDisable(c)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return userError("node eligibility takes one argument, the node ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	id, err := resolveNode(ctx, client, c.Args().First())
	if err != nil {
		return err
	}
	if _, err := client.Nodes().ToggleEligibility(ctx, id, enable, nil); err != nil {
		return agentError(c, fmt.Sprintf("set eligibility of node %q", id), err)
	}
	if enable {
		fmt.Fprintf(c.App.Writer, "Node %q scheduling eligibility set: eligible for scheduling\n", id)
	} else {
		fmt.Fprintf(c.App.Writer, "Node %q scheduling eligibility set: ineligible for scheduling\n", id)
	}
	return nil
}
