package command

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/urfave/cli/v2"
)

func serverCommand() *cli.Command {
	return &cli.Command{
		Name:  "server",
		Usage: "Interact with servers",
		Subcommands: []*cli.Command{{
			Name:   "members",
			Usage:  "List the servers of the cluster",
			Flags:  []cli.Flag{addressFlag(), jsonFlag(), verboseFlag()},
			Action: serverMembers,
		}},
	}
}

func serverMembers(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	m, err := client.Agent().Members(cmdContext(c))
	if err != nil {
		return agentError(c, "list server members", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, m)
	}
	sort.Slice(m.Members, func(i, j int) bool { return m.Members[i].Name < m.Members[j].Name })
	rows := make([][]string, 0, len(m.Members))
	for _, mem := range m.Members {
		t := mem.Tags
		row := []string{mem.Name, mem.Addr, strconv.Itoa(int(mem.Port)), mem.Status, orFalse(t["leader"]),
			orDash(t["raft_vsn"]), orDash(t["build"]), orDash(t["dc"]), orDash(t["region"])}
		if c.Bool("verbose") {
			row = append(row, orDash(t["id"]))
		}
		rows = append(rows, row)
	}
	header := []string{"Name", "Address", "Port", "Status", "Leader", "Raft Version", "Build", "Datacenter", "Region"}
	if c.Bool("verbose") {
		header = append(header, "ID")
	}
	table(w, header, rows)
	if len(m.Members) == 0 {
		fmt.Fprintln(w, "No servers known")
	}
	return nil
}

func orFalse(s string) string {
	if s == "" {
		return "false"
	}
	return s
}
