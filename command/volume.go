package command

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// volumeCommand is Nomad's `volume` noun. nomadlike has static host volumes
// (client { host_volume "NAME" { } }) and dynamic host volumes (Nomad
// 1.10's `volume create` with type = "host", the built-in mkdir plugin,
// issue #17), no CSI: the CSI subcommands exit 1 saying so.
func volumeCommand() *cli.Command {
	sub := func(name, usage, args string) *cli.Command {
		return &cli.Command{
			Name: name, Usage: usage + " (CSI: not supported)", ArgsUsage: args,
			SkipFlagParsing: true,
			Action:          func(*cli.Context) error { return errVolumesNotSupported("volume " + name) },
		}
	}
	typeFlag := &cli.StringFlag{Name: "type", Value: nomadlike.VolumeTypeHost, Usage: `volume type: "host" (CSI is not supported)`}
	return &cli.Command{
		Name:  "volume",
		Usage: "Dynamic host volumes (no CSI)",
		Description: "Dynamic host volumes: `volume create FILE` with type = \"host\" and\n" +
			"plugin_id = \"mkdir\" makes a directory volume on a node the servers choose;\n" +
			"jobs claim it by name: volume \"x\" { type = \"host\", source = \"NAME\" }.\n" +
			"Static host volumes are declared in the client configuration\n" +
			"(client { host_volume \"NAME\" { path = \"/srv/data\" } }).",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "Create a dynamic host volume", ArgsUsage: "FILE",
				Flags: []cli.Flag{addressFlag(),
					&cli.BoolFlag{Name: "detach", Usage: "print the volume ID and return without waiting until it is ready"},
					&cli.BoolFlag{Name: "verbose", Usage: "print full IDs"},
				},
				Action: volumeCreate,
			},
			{
				Name: "status", Usage: "Show dynamic host volumes, or one", ArgsUsage: "[ID]",
				Flags:  []cli.Flag{addressFlag(), typeFlag, jsonFlag(), verboseFlag()},
				Action: volumeStatus,
			},
			{
				Name: "delete", Usage: "Delete a dynamic host volume (refused while allocations claim it)", ArgsUsage: "ID",
				Flags: []cli.Flag{addressFlag(), typeFlag,
					&cli.BoolFlag{Name: "detach", Usage: "return once the delete is accepted, without waiting for the client"},
				},
				Action: volumeDelete,
			},
			sub("register", "Register a volume", "FILE"),
			sub("deregister", "Deregister a volume", "ID"),
			sub("detach", "Detach a volume", "ID NODE"),
			sub("init", "Write an example volume specification", ""),
			sub("snapshot", "Snapshot a CSI volume", "ID"),
			sub("claim", "Claim a volume", "ID"),
		},
	}
}

func errVolumesNotSupported(cmd string) error {
	return userError("%s: nomadlike has no CSI volumes and no volume register: create a dynamic host "+
		"volume with `volume create FILE` (type = \"host\", plugin_id = \"mkdir\"), or declare a static one "+
		"in the client configuration (client { host_volume \"NAME\" { path = \"/srv/data\" } }); "+
		"jobs claim either with volume \"x\" { type = \"host\", source = \"NAME\" }", cmd)
}

func checkVolumeType(c *cli.Context, cmd string) error {
	if t := c.String("type"); t != nomadlike.VolumeTypeHost {
		return userError("%s: -type %q is not supported: nomadlike has host volumes only (-type host), no CSI", cmd, t)
	}
	return nil
}

func volumeCreate(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("volume create takes one argument, the volume specification file")
	}
	src, err := readFileLimited(c.Args().First())
	if err != nil {
		return err
	}
	spec, err := parseVolumeSpec(c.Args().First(), src)
	if err != nil {
		return err
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx := cmdContext(c)
	q := &api.QueryOptions{Namespace: spec.Namespace}
	v, err := client.CreateHostVolume(ctx, spec, q)
	if err != nil {
		return agentError(c, fmt.Sprintf("create host volume %q", spec.Name), err)
	}
	w := c.App.Writer
	if c.Bool("detach") {
		fmt.Fprintln(w, v.ID)
		return nil
	}
	fmt.Fprintf(w, "==> Created host volume %s with ID %s\n", cell(v.Name), v.ID)
	q.Namespace = v.Namespace
	for index := uint64(0); v.State != nomadlike.HostVolumeStateReady; {
		q.WaitIndex, q.WaitTime = index, 30*time.Second
		got, qm, err := client.HostVolume(ctx, v.ID, q)
		if err != nil {
			return agentError(c, fmt.Sprintf("wait for host volume %s", v.ID), err)
		}
		v, index = got, qm.LastIndex
		if v.State == nomadlike.HostVolumeStatePending && v.StatusDescription != "" {
			return userError("host volume %s could not be created on node %s: %s (the client retries; "+
				"`volume delete %s` gives up)", v.ID, v.NodeID, cell(v.StatusDescription), v.ID)
		}
	}
	fmt.Fprintf(w, "  ✓ Host volume %q %s\n", shortID(v.ID, c.Bool("verbose")), v.State)
	kv(w, [][2]string{{"ID", v.ID}, {"Name", cell(v.Name)}, {"Node ID", v.NodeID}, {"Host Path", cell(v.HostPath)}})
	return nil
}

func volumeStatus(c *cli.Context) error {
	if err := checkVolumeType(c, "volume status"); err != nil {
		return err
	}
	if c.NArg() > 1 {
		return userError("volume status takes at most one argument, the volume ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	w, verbose := c.App.Writer, c.Bool("verbose")
	if c.NArg() == 0 {
		list, _, err := client.HostVolumes(cmdContext(c), nil)
		if err != nil {
			return agentError(c, "list host volumes", err)
		}
		if c.Bool("json") {
			return printJSON(w, list)
		}
		if len(list) == 0 {
			fmt.Fprintln(w, "No dynamic host volumes")
			return nil
		}
		rows := make([][]string, 0, len(list))
		for _, v := range list {
			rows = append(rows, []string{shortID(v.ID, verbose), cell(v.Name), v.Namespace, v.PluginID,
				shortID(v.NodeID, verbose), v.NodePool, v.State})
		}
		table(w, []string{"ID", "Name", "Namespace", "Plugin ID", "Node ID", "Node Pool", "State"}, rows)
		return nil
	}
	id := c.Args().First()
	v, _, err := client.HostVolume(cmdContext(c), id, nil)
	if errors.Is(err, api.ErrNotFound) {
		return userError("host volume %q not found", id)
	}
	if err != nil {
		return agentError(c, fmt.Sprintf("read host volume %q", id), err)
	}
	if c.Bool("json") {
		return printJSON(w, v)
	}
	kv(w, [][2]string{{"ID", v.ID}, {"Name", cell(v.Name)}, {"Namespace", v.Namespace}, {"Plugin ID", v.PluginID},
		{"Node ID", v.NodeID}, {"Node Pool", v.NodePool}, {"Capacity", fmt.Sprintf("%d bytes", v.CapacityBytes)},
		{"State", v.State}, {"Host Path", cell(v.HostPath)}})
	if v.StatusDescription != "" {
		kv(w, [][2]string{{"Status Description", cell(v.StatusDescription)}})
	}
	fmt.Fprintln(w, "\nAllocations")
	if len(v.Allocations) == 0 {
		fmt.Fprintln(w, "No allocations placed")
		return nil
	}
	rows := make([][]string, 0, len(v.Allocations))
	for _, a := range v.Allocations {
		rows = append(rows, []string{shortID(a.ID, verbose), cell(a.JobID), cell(a.TaskGroup), a.DesiredStatus, a.ClientStatus})
	}
	table(w, []string{"ID", "Job ID", "Task Group", "Desired", "Status"}, rows)
	return nil
}

func volumeDelete(c *cli.Context) error {
	if err := checkVolumeType(c, "volume delete"); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return userError("volume delete takes one argument, the volume ID")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	ctx, id := cmdContext(c), c.Args().First()
	v, _, err := client.HostVolume(ctx, id, nil)
	if errors.Is(err, api.ErrNotFound) {
		return userError("host volume %q not found", id)
	}
	if err != nil {
		return agentError(c, fmt.Sprintf("read host volume %q", id), err)
	}
	q := &api.QueryOptions{Namespace: v.Namespace}
	if err := client.DeleteHostVolume(ctx, v.ID, q); err != nil {
		return agentError(c, fmt.Sprintf("delete host volume %s", v.ID), err)
	}
	for index := uint64(0); !c.Bool("detach"); {
		q.WaitIndex, q.WaitTime = index, 30*time.Second
		_, qm, err := client.HostVolume(ctx, v.ID, q)
		if errors.Is(err, api.ErrNotFound) {
			break
		}
		if err != nil {
			return agentError(c, fmt.Sprintf("wait for host volume %s", v.ID), err)
		}
		index = qm.LastIndex
	}
	fmt.Fprintf(c.App.Writer, "Successfully deleted volume %q!\n", v.ID)
	return nil
}
