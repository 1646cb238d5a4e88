package command

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// namespaceEnv are the environment variables of -namespace, first wins.
var namespaceEnv = []string{"NOMADLIKE_NAMESPACE", "NOMAD_NAMESPACE"}

// namespaceFlag is -namespace, as Nomad's: the namespace of the jobs,
// allocations and evaluations a command reads or writes. NOMADLIKE_NAMESPACE
// wins over NOMAD_NAMESPACE; "*" makes the list commands (job status, alloc
// status, eval list) list every namespace.
func namespaceFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "namespace",
		Usage:   "the target namespace (\"*\": every namespace, for listing)",
		EnvVars: namespaceEnv,
		Value:   nomadlike.DefaultNamespace,
	}
}

// addNamespaceFlags gives -namespace to every command, at any depth, that
// takes -address (every command that talks to an agent), so that the flag
// lists of the commands stay as they are.
func addNamespaceFlags(cmds []*cli.Command) {
	addAgentFlags(cmds, "namespace", func() []cli.Flag { return []cli.Flag{namespaceFlag()} })
}

// addAgentFlags appends flags() to every command, at any depth, that takes
// -address and does not have a flag called name yet. The -namespace, TLS,
// -token and -region flags of every agent command are attached this way.
func addAgentFlags(cmds []*cli.Command, name string, flags func() []cli.Flag) {
	for _, cmd := range cmds {
		if hasFlag(cmd.Flags, "address") && !hasFlag(cmd.Flags, name) {
			cmd.Flags = append(cmd.Flags, flags()...)
		}
		addAgentFlags(cmd.Subcommands, name, flags)
	}
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// agentNamespace is the namespace a command works in: -namespace, then the
// environment, then "default".
func agentNamespace(c *cli.Context) string {
	if ns := c.String("namespace"); ns != "" {
		return ns
	}
	for _, env := range namespaceEnv {
		if ns := os.Getenv(env); ns != "" {
			return ns
		}
	}
	return nomadlike.DefaultNamespace
}

// namespaceExplicit reports whether the user chose a namespace (the flag
// or a non-empty environment variable), rather than leaving the default.
func namespaceExplicit(c *cli.Context) bool {
	if c.IsSet("namespace") && c.String("namespace") != "" {
		return true
	}
	for _, env := range namespaceEnv {
		if os.Getenv(env) != "" {
			return true
		}
	}
	return false
}

// applyJobNamespace sets the namespace of a job read from a file, as
// Nomad does: an explicit -namespace (or NOMAD_NAMESPACE) wins over the
// file's namespace, which wins over "default". The client then works in
// the job's namespace (for monitoring).
func applyJobNamespace(c *cli.Context, client *api.Client, job *nomadlike.Job) {
	if namespaceExplicit(c) {
		job.Namespace = agentNamespace(c)
	}
	if job.Namespace == "" {
		job.Namespace = nomadlike.DefaultNamespace
	}
	if client != nil {
		client.SetNamespace(job.Namespace)
	}
}

// useObjectNamespace moves a client that lists every namespace ("*") to
// the namespace of the one object a lookup found, so that the reads that
// follow find it.
func useObjectNamespace(client *api.Client, ns string) {
	if client.Namespace() == nomadlike.AllNamespaces && ns != "" {
		client.SetNamespace(ns)
	}
}
