package command

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Logs that outlive the allocation (issue #14): once the servers forgot an
// allocation, `alloc logs` asks each ready node whether it keeps the
// allocation's logs (GET /v1/client/allocation/:id/retained-logs with
// ?node_id, which the servers forward to that node) and reads them from
// the first that does.

// retainedAlloc is a node's answer: client.RetainedAlloc's fields we use.
type retainedAlloc struct {
	ID        string
	Namespace string
	Tasks     []string
	NodeID    string
}

// findRetained looks for the logs of the allocation idOrPrefix on every
// ready node; found is false when no node keeps them.
func findRetained(ctx context.Context, client *api.Client, idOrPrefix string) (ra *retainedAlloc, found bool, err error) {
	nodes, _, err := client.Nodes().List(ctx, nil)
	if err != nil {
		return nil, false, listError("list nodes", err)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	var errs []error
	for _, n := range nodes {
		if n.Status != nomadlike.NodeStatusReady {
			continue
		}
		var out retainedAlloc
		q := &api.QueryOptions{Params: map[string]string{"node_id": n.ID}}
		if _, err := client.Query(ctx, "/v1/client/allocation/"+url.PathEscape(idOrPrefix)+"/retained-logs", &out, q); err != nil {
			var se *api.StatusError
			if !errors.As(err, &se) || se.Code != 404 {
				errs = append(errs, err)
			}
			continue
		}
		out.NodeID = n.ID
		return &out, true, nil
	}
	return nil, false, errors.Join(errs...)
}

// retainedTask picks the task of a retained allocation.
func retainedTask(ra *retainedAlloc, task string) (string, error) {
	switch {
	case task != "":
		return task, nil
	case len(ra.Tasks) == 1:
		return ra.Tasks[0], nil
	}
	return "", userError("allocation %s has several tasks; name one of: %s", nomadlike.ShortID(ra.ID), strings.Join(ra.Tasks, ", "))
}

// logsTarget resolves `alloc logs`' allocation and task: through the
// servers, or, for an allocation they no longer know, through the node
// that keeps its logs (nodeID is then set).
func logsTarget(c *cli.Context, client *api.Client, taskName string) (id, nodeID, task string, err error) {
	id, err = allocArg(c, client)
	if err == nil {
		task, err = allocTask(c, client, id, taskName)
		return id, "", task, err
	}
	var ue *exitError
	if !errors.As(err, &ue) || c.NArg() < 1 {
		return "", "", "", err
	}
	ra, found, ferr := findRetained(cmdContext(c), client, c.Args().First())
	if !found {
		if ferr != nil {
			return "", "", "", errors.Join(err, ferr)
		}
		return "", "", "", err
	}
	task, err = retainedTask(ra, taskName)
	return ra.ID, ra.NodeID, task, err
}
