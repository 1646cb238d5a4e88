package command

import (
	"github.com/urfave/cli/v2"
)

// volumeCommand is Nomad's `volume` noun. nomadlike has static host volumes
// only (client { host_volume "NAME" { } }, issue #17): no dynamic host
// volumes (Nomad 1.10's `volume create` with type = "host") and no CSI.
// Each subcommand exits 1 with what to do instead, so that a Nomad user's
// script stops with a clear reason.
func volumeCommand() *cli.Command {
	sub := func(name, usage, args string) *cli.Command {
		return &cli.Command{
			Name: name, Usage: usage + " (not supported: see `nomadlike volume -h`)", ArgsUsage: args,
			SkipFlagParsing: true,
			Action:          func(*cli.Context) error { return errVolumesNotSupported("volume " + name) },
		}
	}
	return &cli.Command{
		Name:  "volume",
		Usage: "Dynamic host and CSI volumes (not supported; host volumes are static)",
		Description: "nomadlike has static host volumes only: declare the directory in the client's\n" +
			"configuration (client { host_volume \"NAME\" { path = \"/srv/data\" } }), restart\n" +
			"the client, and claim it in a job's group with\n" +
			"volume \"x\" { type = \"host\", source = \"NAME\" }. `node status -verbose NODE`\n" +
			"lists a node's host volumes.",
		Subcommands: []*cli.Command{
			sub("create", "Create a volume", "FILE"),
			sub("register", "Register a volume", "FILE"),
			sub("status", "Show volumes", "[ID]"),
			sub("delete", "Delete a volume", "ID"),
			sub("deregister", "Deregister a volume", "ID"),
			sub("detach", "Detach a volume", "ID NODE"),
			sub("init", "Write an example volume specification", ""),
			sub("snapshot", "Snapshot a CSI volume", "ID"),
			sub("claim", "Claim a volume", "ID"),
		},
	}
}

func errVolumesNotSupported(cmd string) error {
	return userError("%s: nomadlike has no dynamic host volumes or CSI volumes. Host volumes are "+
		"static: declare the directory in the client configuration "+
		"(client { host_volume \"NAME\" { path = \"/srv/data\" } }), restart the client agent, and "+
		"claim it in a job with volume \"x\" { type = \"host\", source = \"NAME\" }; "+
		"`node status -verbose NODE` lists a node's host volumes", cmd)
}
