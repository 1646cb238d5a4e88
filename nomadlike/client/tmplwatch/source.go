package tmplwatch

import (
	"context"
	"errors"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/render"
)

// Cursor is where a watch stands: the index of the last answer, and
// whether the variable it watches was absent (its creation is then
// awaited through a list of its path as prefix, which blocks even when
// GET /v1/var/:path answers 404 at once).
type Cursor struct {
	Index  uint64
	Absent bool
}

// Source reads Nomad data for templates. With a cursor from a previous
// answer, Fetch blocks until the data may have changed (or the server's
// wait ends) and returns the current value and the next cursor.
type Source interface {
	Fetch(ctx context.Context, d render.Dep, token string, prev Cursor) (any, Cursor, error)
}

// ServerAPI is the part of *api.Client a Source needs.
type ServerAPI interface {
	GetVariable(ctx context.Context, path string, q *api.QueryOptions) (*api.TmplVariable, *api.QueryMeta, error)
	ListVariables(ctx context.Context, q *api.QueryOptions) ([]*api.TmplVariableMeta, *api.QueryMeta, error)
	ServiceInstances(ctx context.Context, name string, q *api.QueryOptions) ([]*api.TmplService, *api.QueryMeta, error)
	ListServices(ctx context.Context, q *api.QueryOptions) ([]*api.TmplServiceList, *api.QueryMeta, error)
}

// DefaultBlockingWait bounds each blocking query (Nomad's client template
// block_query_wait default).
const DefaultBlockingWait = 5 * time.Minute

// APISource reads through the servers' HTTP API.
type APISource struct {
	Servers ServerAPI
	// Wait bounds each blocking query; default DefaultBlockingWait.
	Wait time.Duration
}

// Fetch implements Source.
func (s APISource) Fetch(ctx context.Context, d render.Dep, token string, prev Cursor) (any, Cursor, error) {
	wait := s.Wait
	if wait <= 0 {
		wait = DefaultBlockingWait
	}
	q := &api.QueryOptions{Namespace: d.Namespace, WaitIndex: prev.Index, WaitTime: wait, AuthToken: token}
	switch d.Kind {
	case render.DepVar:
		return s.variable(ctx, d, q, prev)
	case render.DepVarList:
		q.Prefix = d.Name
		v, qm, err := s.Servers.ListVariables(ctx, q)
		return v, next(qm, prev), err
	case render.DepService:
		v, qm, err := s.Servers.ServiceInstances(ctx, d.Name, q)
		return v, next(qm, prev), err
	default:
		v, qm, err := s.Servers.ListServices(ctx, q)
		return v, next(qm, prev), err
	}
}

// variable reads one variable; while it is absent, the watch blocks on the
// list of its path.
func (s APISource) variable(ctx context.Context, d render.Dep, q *api.QueryOptions, prev Cursor) (any, Cursor, error) {
	if prev.Absent && prev.Index > 0 {
		lq := *q
		lq.Prefix = d.Name
		list, qm, err := s.Servers.ListVariables(ctx, &lq)
		if err != nil {
			return nil, prev, err
		}
		if !listed(list, d.Name) {
			return nil, Cursor{Index: next(qm, prev).Index, Absent: true}, nil
		}
		q.WaitIndex = 0
	}
	if prev.Absent {
		q.WaitIndex = 0
	}
	v, qm, err := s.Servers.GetVariable(ctx, d.Name, q)
	if errors.Is(err, api.ErrNotFound) {
		lq := *q
		lq.Prefix, lq.WaitIndex = d.Name, 0
		_, lqm, lerr := s.Servers.ListVariables(ctx, &lq)
		if lerr != nil {
			return nil, prev, lerr
		}
		return nil, Cursor{Index: next(lqm, Cursor{}).Index, Absent: true}, nil
	}
	if err != nil {
		return nil, prev, err
	}
	return v, Cursor{Index: next(qm, Cursor{}).Index}, nil
}

func listed(list []*api.TmplVariableMeta, path string) bool {
	for _, m := range list {
		if m.Path == path {
			return true
		}
	}
	return false
}

// next is the cursor after an answer: its index, never going backwards
// to zero (a blocking query with index 0 would not block).
func next(qm *api.QueryMeta, prev Cursor) Cursor {
	if qm == nil || qm.LastIndex == 0 {
		return Cursor{Index: prev.Index}
	}
	return Cursor{Index: qm.LastIndex}
}
