package command

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Short ID prefixes work everywhere: each resolver lists the objects with
// ?prefix= and wants exactly one match (or an exact one among several).

// ambiguous is the error for a prefix that matches several objects.
func ambiguous(kind, prefix string, ids []string) error {
	sort.Strings(ids)
	return userError("prefix %q matched multiple %s:\n  %s\nuse a longer prefix", prefix, kind, strings.Join(ids, "\n  "))
}

func resolveJob(ctx context.Context, client *api.Client, prefix string) (string, error) {
	jobs, _, err := client.Jobs().PrefixList(ctx, prefix)
	if err != nil {
		return "", listError("list jobs", err)
	}
	// With -namespace '*' the same ID may be in several namespaces.
	var exact []*nomadlike.JobListStub
	for _, j := range jobs {
		if j.ID == prefix {
			exact = append(exact, j)
		}
	}
	if len(exact) > 0 {
		jobs = exact
	}
	if len(jobs) == 1 {
		useObjectNamespace(client, jobs[0].Namespace)
		return jobs[0].ID, nil
	}
	ids := make([]string, 0, len(jobs))
	for _, j := range jobs {
		if client.Namespace() == nomadlike.AllNamespaces {
			ids = append(ids, j.Namespace+"/"+j.ID)
		} else {
			ids = append(ids, j.ID)
		}
	}
	if len(exact) > 0 {
		return "", userError("job %q is in several namespaces:\n  %s\nchoose one with -namespace", prefix, strings.Join(ids, "\n  "))
	}
	return pickOne("jobs", prefix, ids)
}

func resolveEval(ctx context.Context, client *api.Client, prefix string) (string, error) {
	evals, _, err := client.Evaluations().PrefixList(ctx, prefix)
	if err != nil {
		return "", listError("list evaluations", err)
	}
	ids := make([]string, 0, len(evals))
	for _, e := range evals {
		ids = append(ids, e.ID)
	}
	return pickOne("evaluations", prefix, ids)
}

func resolveNode(ctx context.Context, client *api.Client, prefix string) (string, error) {
	nodes, _, err := client.Nodes().PrefixList(ctx, prefix)
	if err != nil {
		return "", listError("list nodes", err)
	}
	ids := make([]string, 0, len(nodes))
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	return pickOne("nodes", prefix, ids)
}

func resolveAlloc(ctx context.Context, client *api.Client, prefix string) (string, error) {
	var allocs []*nomadlike.AllocListStub
	if _, err := client.Query(ctx, "/v1/allocations", &allocs, &api.QueryOptions{Prefix: prefix}); err != nil {
		return "", listError("list allocations", err)
	}
	ids := make([]string, 0, len(allocs))
	for _, a := range allocs {
		ids = append(ids, a.ID)
	}
	return pickOne("allocations", prefix, ids)
}

// listError is a failed list: the agent's answer, or what failed and why.
func listError(what string, err error) error {
	var se *api.StatusError
	if errors.As(err, &se) {
		return &refusedError{what: what, se: se}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func pickOne(kind, prefix string, ids []string) (string, error) {
	switch len(ids) {
	case 0:
		return "", userError("No %s(s) with prefix or id %q found", strings.TrimSuffix(kind, "s"), prefix)
	case 1:
		return ids[0], nil
	}
	for _, id := range ids {
		if id == prefix {
			return id, nil
		}
	}
	return "", ambiguous(kind, prefix, ids)
}

// jobArg checks that cmd got exactly one argument, a job ID or unique
// prefix, and resolves it against the agent.
func jobArg(c *cli.Context, cmd string) (*api.Client, context.Context, string, error) {
	if c.NArg() != 1 {
		return nil, nil, "", userError("%s takes one argument, the job ID", cmd)
	}
	client, err := apiClient(c)
	if err != nil {
		return nil, nil, "", err
	}
	ctx := cmdContext(c)
	id, err := resolveJob(ctx, client, c.Args().First())
	if err != nil {
		return nil, nil, "", err
	}
	return client, ctx, id, nil
}

// listOrShow is the shape of the status commands: with no argument it lists
// (list), with one it resolves the ID or prefix (resolve) and shows that
// object (show). what names the argument in the usage error.
func listOrShow(c *cli.Context, cmd, what string,
	list func(*cli.Context, *api.Client) error,
	resolve func(context.Context, *api.Client, string) (string, error),
	show func(*cli.Context, *api.Client, string) error) error {
	if c.NArg() > 1 {
		return userError("%s takes at most one argument, %s", cmd, what)
	}
	client, err := apiClient(c)
	if err != nil {
		return err
	}
	if c.NArg() == 0 {
		return list(c, client)
	}
	id, err := resolve(cmdContext(c), client, c.Args().First())
	if err != nil {
		return err
	}
	return show(c, client, id)
}
