package command

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// allocCommand is "alloc": status, logs, stop, restart, signal, exec, fs.
func allocCommand() *cli.Command {
	return &cli.Command{
		Name:  "alloc",
		Usage: "Interact with allocations",
		Subcommands: []*cli.Command{
			allocStatusCommand(), allocLogsCommand(), allocStopCommand(),
			allocRestartCommand(), allocSignalCommand(), allocExecCommand(), allocFSCommand(),
			allocChecksCommand(),
		},
	}
}

// allocArg resolves the first argument (an ID or unique prefix).
func allocArg(c *cli.Context, client *api.Client) (string, error) {
	if c.NArg() < 1 {
		return "", userError("this command takes an allocation ID (or prefix)")
	}
	return resolveAlloc(cmdContext(c), client, c.Args().First())
}

func allocStatusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "Display the status of an allocation and its tasks",
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
			a, _, err := client.Allocations().Info(cmdContext(c), id, nil)
			if err != nil {
				return agentError(c, "get allocation", err)
			}
			if c.Bool("json") {
				return printJSON(c.App.Writer, a)
			}
			formatAllocStatus(c.App.Writer, a, c.Bool("verbose"), time.Now())
			if !a.ClientTerminalStatus() {
				// Best effort: the client may be unreachable.
				if res, err := client.Allocations().Checks(cmdContext(c), id); err == nil {
					formatAllocStatusChecks(c.App.Writer, res)
				}
			}
			return nil
		},
	}
}

// formatAllocStatus writes `alloc status` as Nomad lays it out.
func formatAllocStatus(w io.Writer, a *nomadlike.Allocation, verbose bool, now time.Time) {
	v := verbose
	pairs := [][2]string{
		{"ID", shortID(a.ID, v)},
		{"Eval ID", shortID(a.EvalID, v)},
		{"Name", a.Name},
		{"Node ID", shortID(a.NodeID, v)},
		{"Node Name", a.NodeName},
		{"Job ID", a.JobID},
	}
	if a.Job != nil {
		pairs = append(pairs, [2]string{"Job Version", fmt.Sprint(a.Job.Version)})
	}
	pairs = append(pairs,
		[2]string{"Client Status", a.ClientStatus},
		[2]string{"Client Description", orNone(a.ClientDescription)},
		[2]string{"Desired Status", a.DesiredStatus},
		[2]string{"Desired Description", orNone(a.DesiredDescription)},
		[2]string{"Created", formatAge(a.CreateTime, now)},
		[2]string{"Modified", formatAge(a.ModifyTime, now)},
	)
	pairs = append(pairs, reschedulePairs(a, v)...) // batch and CI (job_outcome_format.go)
	if a.FollowupEvalID != "" {
		pairs = append(pairs, [2]string{"Reschedule Eval", shortID(a.FollowupEvalID, v)})
	}
	if verbose {
		pairs = append(pairs, [2]string{"Namespace", a.Namespace}, [2]string{"Task Group", a.TaskGroup},
			[2]string{"Create Index", fmt.Sprint(a.CreateIndex)}, [2]string{"Modify Index", fmt.Sprint(a.ModifyIndex)})
	}
	kv(w, pairs)
	formatAllocNetwork(w, a) // bridge networking (alloc_network.go)

	var group *nomadlike.TaskGroup
	if a.Job != nil {
		group = a.Job.LookupTaskGroup(a.TaskGroup)
	}
	var names []string
	if group != nil {
		for _, t := range group.Tasks {
			names = append(names, t.Name)
		}
	}
	for n := range a.TaskStates {
		found := false
		for _, x := range names {
			found = found || x == n
		}
		if !found {
			names = append(names, n)
		}
	}
	for _, name := range names {
		ts := a.TaskStates[name]
		fmt.Fprintf(w, "\nTask %q is %q\n", name, stateOf(ts))
		var task *nomadlike.Task
		if group != nil {
			task = group.LookupTask(name)
		}
		if task != nil && task.Lifecycle != nil && task.Lifecycle.Hook != "" {
			kind := task.Lifecycle.Hook
			if task.Lifecycle.Sidecar {
				kind += " sidecar"
			}
			fmt.Fprintf(w, "Lifecycle: %s\n", kind)
		}
		if ar := a.AllocatedResources; ar != nil && ar.Tasks[name] != nil {
			r := ar.Tasks[name]
			fmt.Fprintln(w, "Task Resources:")
			cols := []string{"CPU", "Memory", "Disk"}
			vals := []string{fmt.Sprintf("%d MHz", r.Cpu.CpuShares), humanMB(r.Memory.MemoryMB), humanMB(ar.Shared.DiskMB)}
			if r.Memory.MemoryMaxMB > 0 {
				cols = append(cols, "Memory Max")
				vals = append(vals, humanMB(r.Memory.MemoryMaxMB))
			}
			var ports []string
			for _, p := range ar.Shared.Ports {
				ports = append(ports, fmt.Sprintf("%s: %s:%d", p.Label, p.HostIP, p.Value))
			}
			if len(ports) > 0 {
				cols = append(cols, "Addresses")
				vals = append(vals, strings.Join(ports, ", "))
			}
			table(w, cols, [][]string{vals})
		}
		if ts == nil {
			continue
		}
		fmt.Fprintln(w)
		tsPairs := [][2]string{{"Restarts", fmt.Sprint(ts.Restarts)}, {"Last Restart", formatTimeOrNA(ts.LastRestart.Time)},
			{"Started At", formatTimeOrNA(ts.StartedAt.Time)}, {"Finished At", formatTimeOrNA(ts.FinishedAt.Time)}}
		if ts.Failed {
			tsPairs = append(tsPairs, [2]string{"Failed", "true"})
		}
		if code, ok := lastExitCode(ts); ok {
			tsPairs = append(tsPairs, [2]string{"Exit Code", fmt.Sprint(code)})
		}
		if n := ts.DriverNetwork; n != nil { // the network the driver made (#20)
			tsPairs = append(tsPairs, [2]string{"Driver Network", driverNetworkText(n)})
		}
		kv(w, tsPairs)
		fmt.Fprintln(w, "\nRecent Events:")
		var rows [][]string
		events := ts.Events
		if !verbose && len(events) > 10 {
			events = events[len(events)-10:]
		}
		for i := len(events) - 1; i >= 0; i-- {
			e := events[i]
			rows = append(rows, []string{time.Unix(0, e.Time).Local().Format("2006-01-02T15:04:05Z07:00"), e.Type, eventMessage(e)})
		}
		table(w, []string{"Time", "Type", "Description"}, rows)
	}
}

func stateOf(ts *nomadlike.TaskState) string {
	if ts == nil {
		return nomadlike.TaskStatePending
	}
	return ts.State
}

func formatTimeOrNA(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return formatUnixNano(t.UnixNano())
}

func lastExitCode(ts *nomadlike.TaskState) (int, bool) {
	for i := len(ts.Events) - 1; i >= 0; i-- {
		if ts.Events[i].Type == nomadlike.TaskEventTerminated {
			return ts.Events[i].ExitCode, true
		}
	}
	return 0, false
}

// eventMessage is the event's description, built from its fields when the
// client did not set a display message.
func eventMessage(e *nomadlike.TaskEvent) string {
	if e.DisplayMessage != "" {
		return e.DisplayMessage
	}
	switch e.Type {
	case nomadlike.TaskEventTerminated:
		return fmt.Sprintf("Exit Code: %d", e.ExitCode)
	case nomadlike.TaskEventRestarting:
		return "Task restarting: " + e.RestartReason
	case nomadlike.TaskEventDriverFailure:
		return e.DriverError
	}
	return e.Message
}

// allocTask picks the task argument or the group's only task.
func allocTask(c *cli.Context, client *api.Client, id, task string) (string, error) {
	if task != "" {
		return task, nil
	}
	a, _, err := client.Allocations().Info(cmdContext(c), id, nil)
	if err != nil {
		return "", agentError(c, "get allocation", err)
	}
	var names []string
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				names = append(names, t.Name)
			}
		}
	}
	if len(names) == 0 {
		names = sortedKeys(a.TaskStates)
	}
	if len(names) == 1 {
		return names[0], nil
	}
	sort.Strings(names)
	return "", userError("allocation %s has several tasks; name one of: %s", nomadlike.ShortID(id), strings.Join(names, ", "))
}

func allocLogsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "Stream the logs of a task",
		ArgsUsage: "ALLOC [TASK]",
		Flags: []cli.Flag{
			addressFlag(),
			&cli.BoolFlag{Name: "f", Usage: "follow the log as the task writes it"},
			&cli.BoolFlag{Name: "stderr", Usage: "show stderr instead of stdout"},
			&cli.BoolFlag{Name: "tail", Usage: "start at the end of the log (default 10 lines with -n)"},
			&cli.Int64Flag{Name: "n", Value: -1, Usage: "with -tail: number of lines to show"},
			&cli.Int64Flag{Name: "c", Value: -1, Usage: "with -tail: number of bytes to show"},
			&cli.StringFlag{Name: "task", Usage: "task name (or as the second argument)"},
		},
		Action: func(c *cli.Context) error {
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			taskName := c.String("task")
			if c.NArg() > 1 {
				taskName = c.Args().Get(1)
			}
			id, nodeID, task, err := logsTarget(c, client, taskName)
			if err != nil {
				return err
			}
			typ := "stdout"
			if c.Bool("stderr") {
				typ = "stderr"
			}
			opts := api.LogsOptions{Task: task, Type: typ, Follow: c.Bool("f"), NodeID: nodeID}
			lines := c.Int64("n")
			if c.Bool("tail") {
				opts.Origin = "end"
				switch {
				case c.Int64("c") >= 0:
					opts.Offset = c.Int64("c")
				case lines < 0:
					lines = 10
				}
				if lines >= 0 && c.Int64("c") < 0 {
					// Fetch enough bytes for the lines, then cut them in tailLines.
					opts.Offset = 64 << 10 * max(1, lines/500+1)
				}
			}
			rc, err := client.Allocations().Logs(cmdContext(c), id, opts)
			if err != nil {
				return agentError(c, "read logs", err)
			}
			defer rc.Close()
			out := rawWriter(c.App.Writer) // the task's bytes, as they are
			if c.Bool("tail") && c.Int64("c") < 0 {
				return tailLines(out, rc, int(lines), opts.Follow)
			}
			_, err = io.Copy(out, rc)
			if err != nil && cmdContext(c).Err() == nil {
				return err
			}
			return nil
		},
	}
}

// tailLines prints the last n lines of what r first returns, then (when
// following) everything after.
func tailLines(w io.Writer, r io.Reader, n int, follow bool) error {
	if !follow {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, lastLines(string(b), n))
		return err
	}
	// The first read holds the backlog; later reads are live output.
	buf := make([]byte, 64<<10)
	k, err := r.Read(buf)
	io.WriteString(w, lastLines(string(buf[:k]), n))
	if err != nil {
		return nil
	}
	_, _ = io.Copy(w, r)
	return nil
}

func lastLines(s string, n int) string {
	if n <= 0 {
		return ""
	}
	trimmed := strings.TrimSuffix(s, "\n")
	parts := strings.Split(trimmed, "\n")
	if len(parts) <= n {
		return s
	}
	out := strings.Join(parts[len(parts)-n:], "\n")
	if strings.HasSuffix(s, "\n") {
		out += "\n"
	}
	return out
}

func allocStopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "Stop an allocation; the scheduler places a replacement",
		ArgsUsage: "ALLOC",
		Flags:     []cli.Flag{addressFlag(), &cli.BoolFlag{Name: "detach", Usage: "print the evaluation ID and exit"}},
		Action: func(c *cli.Context) error {
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			id, err := allocArg(c, client)
			if err != nil {
				return err
			}
			resp, _, err := client.Allocations().Stop(cmdContext(c), id, nil)
			if err != nil {
				return agentError(c, "stop allocation", err)
			}
			fmt.Fprintf(c.App.Writer, "==> Stopping allocation %s; evaluation ID %q\n", nomadlike.ShortID(id), resp.EvalID)
			return nil
		},
	}
}

func allocRestartCommand() *cli.Command {
	return &cli.Command{
		Name:      "restart",
		Usage:     "Restart a running allocation's tasks in place",
		ArgsUsage: "ALLOC [TASK]",
		Flags:     []cli.Flag{addressFlag(), &cli.StringFlag{Name: "task", Usage: "restart only this task"}},
		Action: func(c *cli.Context) error {
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			id, err := allocArg(c, client)
			if err != nil {
				return err
			}
			task := c.String("task")
			if c.NArg() > 1 {
				task = c.Args().Get(1)
			}
			if err := client.Allocations().Restart(cmdContext(c), id, task); err != nil {
				return agentError(c, "restart allocation", err)
			}
			fmt.Fprintf(c.App.Writer, "Restarted allocation %s\n", nomadlike.ShortID(id))
			return nil
		},
	}
}

func allocSignalCommand() *cli.Command {
	return &cli.Command{
		Name:      "signal",
		Usage:     "Send a signal to an allocation's tasks",
		ArgsUsage: "ALLOC [TASK]",
		Flags: []cli.Flag{addressFlag(),
			&cli.StringFlag{Name: "s", Value: "SIGKILL", Usage: "signal to send"},
			&cli.StringFlag{Name: "task", Usage: "signal only this task"}},
		Action: func(c *cli.Context) error {
			client, err := apiClient(c)
			if err != nil {
				return err
			}
			id, err := allocArg(c, client)
			if err != nil {
				return err
			}
			task := c.String("task")
			if c.NArg() > 1 {
				task = c.Args().Get(1)
			}
			if err := client.Allocations().Signal(cmdContext(c), id, task, c.String("s")); err != nil {
				return agentError(c, "signal allocation", err)
			}
			fmt.Fprintf(c.App.Writer, "Sent %s to allocation %s\n", c.String("s"), nomadlike.ShortID(id))
			return nil
		},
	}
}
