package api

import (
	"context"
	"net/url"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// The reads a client agent makes for templates (nomadVar, nomadVarList,
// nomadVarExists, nomadService, nomadServices), on Nomad's paths and in
// Nomad's JSON shapes (api.Variable, api.VariableMetadata,
// api.ServiceRegistration, api.ServiceRegistrationListStub). Every one is a
// blocking query with q.WaitIndex and q.WaitTime. The types carry a Tmpl
// prefix (aliases of the domain types below).

// The templates read the domain's own types, which have Nomad's JSON
// shapes; the Tmpl names stay for the template code that uses them.
type (
	// TmplVariable is GET /v1/var/:path (Nomad's api.Variable).
	TmplVariable = nomadlike.Variable
	// TmplVariableMeta is an entry of GET /v1/vars (api.VariableMetadata).
	TmplVariableMeta = nomadlike.VariableMetadata
	// TmplService is an instance of GET /v1/service/:name
	// (api.ServiceRegistration).
	TmplService = nomadlike.ServiceRegistration
	// TmplServiceList is an entry of GET /v1/services
	// (api.ServiceRegistrationListStub).
	TmplServiceList = nomadlike.ServiceRegistrationListStub
	// TmplServiceStub names one service and its tags.
	TmplServiceStub = nomadlike.ServiceRegistrationStub
)

// varPath escapes each segment of a variable path (which has slashes).
func varPath(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// GetVariable reads one variable; a missing one is an error matching
// ErrNotFound (its QueryMeta still carries the index to block on when the
// server sent one).
func (c *Client) GetVariable(ctx context.Context, path string, q *QueryOptions) (*TmplVariable, *QueryMeta, error) {
	var out TmplVariable
	qm, err := c.Query(ctx, "/v1/var/"+varPath(path), &out, q)
	if err != nil {
		return nil, qm, err
	}
	return &out, qm, nil
}

// ListVariables lists the metadata of the variables under q.Prefix.
func (c *Client) ListVariables(ctx context.Context, q *QueryOptions) ([]*TmplVariableMeta, *QueryMeta, error) {
	var out []*TmplVariableMeta
	qm, err := c.Query(ctx, "/v1/vars", &out, q)
	return out, qm, err
}

// ServiceInstances lists the registered instances of a service
// (q.Params["choose"] = "N|key" asks the servers for a consistent subset).
func (c *Client) ServiceInstances(ctx context.Context, name string, q *QueryOptions) ([]*TmplService, *QueryMeta, error) {
	return c.Services().Get(ctx, name, q)
}

// ListServices lists the services of the namespace with their tags.
func (c *Client) ListServices(ctx context.Context, q *QueryOptions) ([]*TmplServiceList, *QueryMeta, error) {
	return c.Services().List(ctx, q)
}
