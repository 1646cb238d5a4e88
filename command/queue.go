package command

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// queueCommand is `nomadlike queue` (nomadlike's extension): the jobs
// waiting for capacity, in the order they will be placed.
func queueCommand() *cli.Command {
	return &cli.Command{
		Name:  "queue",
		Usage: "List the jobs waiting for capacity, in placement order",
		Description: "Lists the waiting jobs (GET /v1/queue) in the order the servers will place\n" +
			"them when capacity frees: higher priority first, then submission order. Each\n" +
			"line says what the job waits for. -namespace '*' lists every namespace.",
		Flags:  []cli.Flag{addressFlag(), jsonFlag()},
		Action: queueAction,
	}
}

func queueAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return userError("queue takes no arguments")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	l, _, err := client.Queue(cmdContext(c), &api.QueryOptions{Namespace: client.Namespace()})
	if err != nil {
		return agentError(c, "list the queue", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, l)
	}
	if len(l.Entries) == 0 {
		fmt.Fprintf(w, "No jobs waiting (%d in the whole queue)\n", l.Total)
		return nil
	}
	rows := make([][]string, 0, len(l.Entries))
	for _, e := range l.Entries {
		groups := make([]string, 0, len(e.Queued))
		for g, n := range e.Queued {
			groups = append(groups, g+"="+strconv.Itoa(n))
		}
		sort.Strings(groups)
		rows = append(rows, []string{strconv.Itoa(e.Position), e.JobID, e.Namespace, strconv.Itoa(e.Priority),
			strings.Join(groups, ","), orNone(e.Reason)})
	}
	table(w, []string{"Position", "Job ID", "Namespace", "Priority", "Queued", "Waiting For"}, rows)
	fmt.Fprintf(w, "%d jobs waiting in all\n", l.Total)
	return nil
}
