package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Namespaces is the /v1/namespaces and /v1/namespace/:name part of the API.
type Namespaces struct{ c *Client }

// Namespaces returns the namespace endpoints.
func (c *Client) Namespaces() *Namespaces { return &Namespaces{c: c} }

func namespacePath(name string) string { return "/v1/namespace/" + url.PathEscape(name) }

// List lists the namespaces (q.Prefix filters by name prefix), the default
// namespace included.
func (n *Namespaces) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.Namespace, *QueryMeta, error) {
	var out []*nomadlike.Namespace
	qm, err := n.c.Query(ctx, "/v1/namespaces", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one namespace; errors.Is(err, ErrNotFound) when it does not
// exist.
func (n *Namespaces) Info(ctx context.Context, name string, q *QueryOptions) (*nomadlike.Namespace, *QueryMeta, error) {
	var out nomadlike.Namespace
	qm, err := n.c.Query(ctx, namespacePath(name), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Register creates or updates a namespace.
func (n *Namespaces) Register(ctx context.Context, ns *nomadlike.Namespace, q *QueryOptions) (*WriteMeta, error) {
	return n.c.Write(ctx, http.MethodPut, namespacePath(ns.Name), ns, nil, q)
}

// Delete deletes a namespace. The agent refuses the default namespace and
// a namespace with non-terminal jobs or allocations.
func (n *Namespaces) Delete(ctx context.Context, name string, q *QueryOptions) (*WriteMeta, error) {
	return n.c.Write(ctx, http.MethodDelete, namespacePath(name), nil, nil, q)
}
