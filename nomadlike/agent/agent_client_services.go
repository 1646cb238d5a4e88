package agent

import (
	"context"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// The service catalog's node calls over several servers (serverList),
// for the client's service registrations and its DNS interface.

func (l *serverList) UpsertServiceRegistrations(ctx context.Context, secretID string, regs []*nomadlike.ServiceRegistration) (*api.WriteMeta, error) {
	return try(l, func(c *api.Client) (*api.WriteMeta, error) { return c.UpsertServiceRegistrations(ctx, secretID, regs) })
}

func (l *serverList) DeregisterServices(ctx context.Context, secretID string, ids []string) (*api.WriteMeta, error) {
	return try(l, func(c *api.Client) (*api.WriteMeta, error) { return c.DeregisterServices(ctx, secretID, ids) })
}

func (l *serverList) NodeServiceInstances(ctx context.Context, secretID, ns, name string, waitIndex uint64, wait time.Duration) ([]*nomadlike.ServiceRegistration, *api.QueryMeta, error) {
	type res struct {
		regs []*nomadlike.ServiceRegistration
		qm   *api.QueryMeta
	}
	r, err := try(l, func(c *api.Client) (res, error) {
		regs, qm, err := c.NodeServiceInstances(ctx, secretID, ns, name, waitIndex, wait)
		return res{regs, qm}, err
	})
	return r.regs, r.qm, err
}
