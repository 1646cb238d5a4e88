package api

import (
	"context"
	"net/url"
	"strings"
)

// The reads a client agent makes for templates (nomadVar, nomadVarList,
// nomadVarExists, nomadService, nomadServices), on Nomad's paths and in
// Nomad's JSON shapes (api.Variable, api.VariableMetadata,
// api.ServiceRegistration, api.ServiceRegistrationListStub). Every one is a
// blocking query with q.WaitIndex and q.WaitTime. The types carry a Tmpl
// prefix so that they never clash with the variables and catalog clients;
// their JSON is the same.

// TmplVariable is GET /v1/var/:path (Nomad's api.Variable).
type TmplVariable struct {
	Namespace   string            `json:"Namespace"`
	Path        string            `json:"Path"`
	CreateIndex uint64            `json:"CreateIndex"`
	ModifyIndex uint64            `json:"ModifyIndex"`
	CreateTime  int64             `json:"CreateTime"`
	ModifyTime  int64             `json:"ModifyTime"`
	Items       map[string]string `json:"Items"`
}

// TmplVariableMeta is an entry of GET /v1/vars (Nomad's
// api.VariableMetadata).
type TmplVariableMeta struct {
	Namespace   string `json:"Namespace"`
	Path        string `json:"Path"`
	CreateIndex uint64 `json:"CreateIndex"`
	ModifyIndex uint64 `json:"ModifyIndex"`
	CreateTime  int64  `json:"CreateTime"`
	ModifyTime  int64  `json:"ModifyTime"`
}

// TmplService is an instance of GET /v1/service/:name (Nomad's
// api.ServiceRegistration).
type TmplService struct {
	ID          string   `json:"ID"`
	ServiceName string   `json:"ServiceName"`
	Namespace   string   `json:"Namespace"`
	NodeID      string   `json:"NodeID"`
	Datacenter  string   `json:"Datacenter"`
	JobID       string   `json:"JobID"`
	AllocID     string   `json:"AllocID"`
	Tags        []string `json:"Tags"`
	Address     string   `json:"Address"`
	Port        int      `json:"Port"`
	CreateIndex uint64   `json:"CreateIndex"`
	ModifyIndex uint64   `json:"ModifyIndex"`
}

// TmplServiceList is an entry of GET /v1/services (Nomad's
// api.ServiceRegistrationListStub).
type TmplServiceList struct {
	Namespace string             `json:"Namespace"`
	Services  []*TmplServiceStub `json:"Services"`
}

// TmplServiceStub names one service and its tags.
type TmplServiceStub struct {
	ServiceName string   `json:"ServiceName"`
	Tags        []string `json:"Tags"`
}

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
	var out []*TmplService
	qm, err := c.Query(ctx, "/v1/service/"+url.PathEscape(name), &out, q)
	return out, qm, err
}

// ListServices lists the services of the namespace with their tags.
func (c *Client) ListServices(ctx context.Context, q *QueryOptions) ([]*TmplServiceList, *QueryMeta, error) {
	var out []*TmplServiceList
	qm, err := c.Query(ctx, "/v1/services", &out, q)
	return out, qm, err
}
