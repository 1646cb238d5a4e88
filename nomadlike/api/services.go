package api

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Services is the service catalog part of the API: /v1/services,
// /v1/service/:name and /v1/allocation/:id/services.
type Services struct{ c *Client }

// Services returns the service catalog endpoints.
func (c *Client) Services() *Services { return &Services{c: c} }

// List returns, per namespace (q.Namespace, "*" for every one), the
// registered services and their tags.
func (s *Services) List(ctx context.Context, q *QueryOptions) ([]*nomadlike.ServiceRegistrationListStub, *QueryMeta, error) {
	var out []*nomadlike.ServiceRegistrationListStub
	qm, err := s.c.Query(ctx, "/v1/services", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Get returns the instances of service name. q.Params may set "choose"
// (N|KEY, a consistent subset) and "passing" ("true": only instances whose
// checks pass).
func (s *Services) Get(ctx context.Context, name string, q *QueryOptions) ([]*nomadlike.ServiceRegistration, *QueryMeta, error) {
	var out []*nomadlike.ServiceRegistration
	qm, err := s.c.Query(ctx, "/v1/service/"+url.PathEscape(name), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Delete removes one registration of service name.
func (s *Services) Delete(ctx context.Context, name, id string, q *QueryOptions) (*WriteMeta, error) {
	return s.c.Write(ctx, http.MethodDelete, "/v1/service/"+url.PathEscape(name)+"/"+url.PathEscape(id), nil, nil, q)
}

// ByAlloc returns the registrations of one allocation.
func (s *Services) ByAlloc(ctx context.Context, allocID string, q *QueryOptions) ([]*nomadlike.ServiceRegistration, *QueryMeta, error) {
	var out []*nomadlike.ServiceRegistration
	qm, err := s.c.Query(ctx, "/v1/allocation/"+url.PathEscape(allocID)+"/services", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// UpsertServiceRegistrations is the node call that registers a client's
// service instances (secretID: the node's SecretID).
func (c *Client) UpsertServiceRegistrations(ctx context.Context, secretID string, regs []*nomadlike.ServiceRegistration) (*WriteMeta, error) {
	return c.Write(ctx, http.MethodPut, "/v1/client/services/upsert", map[string]any{"Services": regs}, nil, nodeAuth(secretID))
}

// DeregisterServices is the node call that removes a client's service
// instances by ID.
func (c *Client) DeregisterServices(ctx context.Context, secretID string, ids []string) (*WriteMeta, error) {
	return c.Write(ctx, http.MethodPut, "/v1/client/services/deregister", map[string]any{"IDs": ids}, nil, nodeAuth(secretID))
}

// NodeServiceInstances is the node read of one service's instances (a
// client's DNS interface): authenticated by the node's SecretID, blocking
// until the catalog passes waitIndex (0: at once) or wait ends.
func (c *Client) NodeServiceInstances(ctx context.Context, secretID, ns, name string, waitIndex uint64, wait time.Duration) ([]*nomadlike.ServiceRegistration, *QueryMeta, error) {
	return c.Services().Get(ctx, name, &QueryOptions{AuthToken: secretID, Namespace: ns, WaitIndex: waitIndex, WaitTime: wait})
}
