package agent

import (
	"context"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/tmplwatch"
)

// Template data reads (client/tmplwatch.ServerAPI) over the server list:
// a client-only agent's templates fail over between servers as its other
// calls do.

func (l *serverList) GetVariable(ctx context.Context, path string, q *api.QueryOptions) (*api.TmplVariable, *api.QueryMeta, error) {
	return tryQuery(l, func(c *api.Client) (*api.TmplVariable, *api.QueryMeta, error) { return c.GetVariable(ctx, path, q) })
}

func (l *serverList) ListVariables(ctx context.Context, q *api.QueryOptions) ([]*api.TmplVariableMeta, *api.QueryMeta, error) {
	return tryQuery(l, func(c *api.Client) ([]*api.TmplVariableMeta, *api.QueryMeta, error) { return c.ListVariables(ctx, q) })
}

func (l *serverList) ServiceInstances(ctx context.Context, name string, q *api.QueryOptions) ([]*api.TmplService, *api.QueryMeta, error) {
	return tryQuery(l, func(c *api.Client) ([]*api.TmplService, *api.QueryMeta, error) {
		return c.ServiceInstances(ctx, name, q)
	})
}

func (l *serverList) ListServices(ctx context.Context, q *api.QueryOptions) ([]*api.TmplServiceList, *api.QueryMeta, error) {
	return tryQuery(l, func(c *api.Client) ([]*api.TmplServiceList, *api.QueryMeta, error) { return c.ListServices(ctx, q) })
}

// tryQuery is try for a read that returns query metadata.
func tryQuery[T any](l *serverList, fn func(*api.Client) (T, *api.QueryMeta, error)) (T, *api.QueryMeta, error) {
	type res struct {
		v  T
		qm *api.QueryMeta
	}
	r, err := try(l, func(c *api.Client) (res, error) {
		v, qm, err := fn(c)
		return res{v, qm}, err
	})
	return r.v, r.qm, err
}

var (
	_ tmplwatch.ServerAPI = (*serverList)(nil)
	_ tmplwatch.ServerAPI = (*api.Client)(nil)
)
