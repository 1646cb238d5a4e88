package command

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// serviceCommand is the service noun, as Nomad's `nomad service` (the
// servers' own catalog, provider "nomad").
func serviceCommand() *cli.Command {
	return &cli.Command{
		Name:  "service",
		Usage: "Interact with registered services",
		Subcommands: []*cli.Command{
			{
				Name:   "list",
				Usage:  "List registered services (-namespace=* for every namespace)",
				Flags:  []cli.Flag{addressFlag(), jsonFlag()},
				Action: serviceList,
			},
			{
				Name:      "info",
				Usage:     "Show the instances of a service",
				ArgsUsage: "NAME",
				Flags: []cli.Flag{addressFlag(), jsonFlag(), verboseFlag(),
					&cli.BoolFlag{Name: "passing", Usage: "only instances whose checks pass (nomadlike)"},
					&cli.StringFlag{Name: "choose", Usage: `N|KEY: a consistent subset of N instances for KEY`}},
				Action: serviceInfo,
			},
			{
				Name:      "delete",
				Usage:     "Delete one registration of a service",
				ArgsUsage: "NAME ID",
				Flags:     []cli.Flag{addressFlag()},
				Action:    serviceDelete,
			},
		},
	}
}

func serviceList(c *cli.Context) error {
	if c.NArg() != 0 {
		return userError("service list takes no arguments")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	list, _, err := client.Services().List(cmdContext(c), nil)
	if err != nil {
		return agentError(c, "list services", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, list)
	}
	all := client.Namespace() == nomadlike.AllNamespaces
	var rows [][]string
	for _, ns := range list {
		for _, s := range ns.Services {
			row := []string{s.ServiceName, "[" + strings.Join(s.Tags, ",") + "]"}
			if all {
				row = append([]string{s.ServiceName, ns.Namespace}, row[1:]...)
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "No service registrations found")
		return nil
	}
	header := []string{"Service Name", "Tags"}
	if all {
		header = []string{"Service Name", "Namespace", "Tags"}
	}
	table(w, header, rows)
	return nil
}

func serviceInfo(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("service info takes one argument, the service name")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	name := c.Args().First()
	q := &api.QueryOptions{Params: map[string]string{}}
	if c.Bool("passing") {
		q.Params["passing"] = "true"
	}
	if v := c.String("choose"); v != "" {
		q.Params["choose"] = v
	}
	regs, _, err := client.Services().Get(cmdContext(c), name, q)
	if err != nil {
		return agentError(c, fmt.Sprintf("read service %q", name), err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, regs)
	}
	if len(regs) == 0 {
		return userError("no service registration found for %q", name)
	}
	verbose := c.Bool("verbose")
	if verbose {
		for i, r := range regs {
			if i > 0 {
				fmt.Fprintln(w)
			}
			kv(w, [][2]string{{"ID", r.ID}, {"Service Name", r.ServiceName}, {"Namespace", r.Namespace},
				{"Job ID", r.JobID}, {"Alloc ID", r.AllocID}, {"Node ID", r.NodeID}, {"Datacenter", r.Datacenter},
				{"Address", hostPort(r)}, {"Tags", "[" + strings.Join(r.Tags, ",") + "]"}, {"Status", regStatus(r)}})
		}
		return nil
	}
	rows := make([][]string, 0, len(regs))
	for _, r := range regs {
		rows = append(rows, []string{r.JobID, hostPort(r), "[" + strings.Join(r.Tags, ",") + "]",
			shortID(r.NodeID, false), shortID(r.AllocID, false), regStatus(r)})
	}
	table(w, []string{"Job ID", "Address", "Tags", "Node ID", "Alloc ID", "Status"}, rows)
	return nil
}

func hostPort(r *nomadlike.ServiceRegistration) string {
	return net.JoinHostPort(r.Address, strconv.Itoa(r.Port))
}

func regStatus(r *nomadlike.ServiceRegistration) string {
	if r.Status == "" {
		return nomadlike.ServiceStatusPassing
	}
	return r.Status
}

func serviceDelete(c *cli.Context) error {
	if c.NArg() != 2 {
		return userError("service delete takes two arguments, the service name and the registration ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	name, id := c.Args().Get(0), c.Args().Get(1)
	if _, err := client.Services().Delete(cmdContext(c), name, id, nil); err != nil {
		return agentError(c, fmt.Sprintf("delete service registration %q", id), err)
	}
	fmt.Fprintln(c.App.Writer, "Successfully deleted service registration")
	return nil
}
