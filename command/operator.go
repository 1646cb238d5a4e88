package command

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike/api"
)

func operatorCommand() *cli.Command {
	return &cli.Command{
		Name:  "operator",
		Usage: "Cluster operator tools",
		Subcommands: []*cli.Command{
			operatorRootCommand(), // variables: root keyring (operator_keyring.go)
			{
				Name:  "raft",
				Usage: "Inspect the raft peer set",
				Subcommands: []*cli.Command{{
					Name:   "list-peers",
					Usage:  "List the raft peers and who leads",
					Flags:  []cli.Flag{addressFlag(), tokenFlag(), jsonFlag(), &cli.BoolFlag{Name: "stale", Usage: "answer from any server, not only the leader"}},
					Action: raftListPeers,
				}, {
					Name:  "remove-peer",
					Usage: "Remove a server from the raft configuration (a failed server that will not come back)",
					Flags: []cli.Flag{addressFlag(), tokenFlag(),
						&cli.StringFlag{Name: "peer-id", Usage: "raft ID of the server to remove (see list-peers)"},
						&cli.StringFlag{Name: "peer-address", Usage: "raft address (host:port) of the server to remove"}},
					Action: raftRemovePeer,
				}},
			},
			{
				Name:  "gossip",
				Usage: "Manage the cluster key",
				Subcommands: []*cli.Command{{
					Name:  "keyring",
					Usage: "Manage the cluster key",
					Subcommands: []*cli.Command{{
						Name:   "generate",
						Usage:  "Print a new random cluster key for server.encrypt",
						Action: keyringGenerate,
					}},
				}},
			},
			{
				Name:  "snapshot",
				Usage: "Save and restore the cluster state",
				Subcommands: []*cli.Command{
					{
						Name:      "save",
						Usage:     "Save a snapshot of the cluster state to FILE",
						ArgsUsage: "FILE",
						Flags:     []cli.Flag{addressFlag(), tokenFlag(), &cli.BoolFlag{Name: "stale", Usage: "take the snapshot on any server"}},
						Action:    snapshotSave,
					},
					{
						Name:      "restore",
						Usage:     "Replace the cluster state with the snapshot in FILE",
						ArgsUsage: "FILE",
						Flags:     []cli.Flag{addressFlag(), tokenFlag()},
						Action:    snapshotRestore,
					},
				},
			},
			operatorSimNodesCommand(),
			operatorSchedulerCommand(), // scheduler configuration (operator_scheduler.go)
		},
	}
}

// tokenFlag is -token, as Nomad's: the token sent as X-Nomad-Token. Until
// ACLs exist, the operator commands that need one take the servers'
// cluster key (server.encrypt).
func tokenFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "token",
		Usage:   "ACL token for the request (with ACLs off: the cluster key, server.encrypt, for raft and snapshot operations)",
		EnvVars: []string{"NOMADLIKE_TOKEN", "NOMAD_TOKEN"},
	}
}

// agentToken is the -token flag of the command, else NOMADLIKE_TOKEN, else
// NOMAD_TOKEN, else "".
func agentToken(c *cli.Context) string {
	if t := c.String("token"); t != "" {
		return t
	}
	if t := os.Getenv("NOMADLIKE_TOKEN"); t != "" {
		return t
	}
	return os.Getenv("NOMAD_TOKEN")
}

func raftRemovePeer(c *cli.Context) error {
	id, addr := c.String("peer-id"), c.String("peer-address")
	if (id == "") == (addr == "") {
		return userError("operator raft remove-peer takes exactly one of -peer-id and -peer-address")
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	what := "id " + id
	if id != "" {
		_, err = client.Operator().RaftRemovePeerByID(cmdContext(c), id, nil)
	} else {
		what = "address " + addr
		_, err = client.Operator().RaftRemovePeerByAddress(cmdContext(c), addr, nil)
	}
	if err != nil {
		return agentError(c, "remove raft peer with "+what, err)
	}
	fmt.Fprintf(c.App.Writer, "Removed peer with %s\n", what)
	return nil
}

// keyringGenerate prints 32 random bytes in base64, as Nomad's
// `operator gossip keyring generate`.
func keyringGenerate(c *cli.Context) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("read random bytes: %w", err)
	}
	fmt.Fprintln(c.App.Writer, base64.StdEncoding.EncodeToString(key))
	return nil
}

func raftListPeers(c *cli.Context) error {
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	rc, err := client.Operator().RaftConfiguration(cmdContext(c), &api.QueryOptions{AllowStale: c.Bool("stale")})
	if err != nil {
		return agentError(c, "read raft configuration", err)
	}
	w := c.App.Writer
	if c.Bool("json") {
		return printJSON(w, rc)
	}
	rows := make([][]string, 0, len(rc.Servers))
	for _, s := range rc.Servers {
		st := "follower"
		if s.Leader {
			st = "leader"
		}
		rows = append(rows, []string{s.Node, s.ID, s.Address, st, strconv.FormatBool(s.Voter), s.RaftProtocol})
	}
	table(w, []string{"Node", "ID", "Address", "State", "Voter", "RaftProtocol"}, rows)
	return nil
}

func snapshotSave(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("operator snapshot save takes one argument, the file to write")
	}
	path := c.Args().First()
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	rd, err := client.Operator().SnapshotSave(cmdContext(c), &api.QueryOptions{AllowStale: c.Bool("stale")})
	if err != nil {
		return agentError(c, "save snapshot", err)
	}
	defer rd.Close()
	// Write next to the target and rename, so a failed save leaves no
	// half-written snapshot behind.
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return userError("create snapshot file: %v", err)
	}
	n, err := io.Copy(tmp, rd)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	fmt.Fprintf(c.App.Writer, "State file written to %s (%d bytes)\n", path, n)
	return nil
}

func snapshotRestore(c *cli.Context) error {
	if c.NArg() != 1 {
		return userError("operator snapshot restore takes one argument, the snapshot file")
	}
	f, err := os.Open(c.Args().First())
	if err != nil {
		return userError("open snapshot: %v", err)
	}
	defer f.Close()
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	if _, err := client.Operator().SnapshotRestore(cmdContext(c), f, nil); err != nil {
		return agentError(c, "restore snapshot", err)
	}
	fmt.Fprintln(c.App.Writer, "Snapshot Restored")
	return nil
}
