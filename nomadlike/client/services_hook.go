package client

import (
	"context"
	"errors"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocrunner"
	"github.com/nomadlike/nomadlike/nomadlike/client/services"
)

// Service registration wiring (nomadlike/client/services): the manager
// sees every allocation state change beside the servers' updater, and
// each alloc runner deregisters its services before killing its tasks.

// serviceAPI is the part of the servers' API the service manager uses
// (*api.Client has it); a ServerAPI without it registers no services.
type serviceAPI interface {
	UpsertServiceRegistrations(ctx context.Context, secretID string, regs []*nomadlike.ServiceRegistration) (*api.WriteMeta, error)
	DeregisterServices(ctx context.Context, secretID string, ids []string) (*api.WriteMeta, error)
}

// serviceRegistrar authenticates the manager's calls as the node.
type serviceRegistrar struct {
	api    serviceAPI
	secret string
}

func (r serviceRegistrar) Upsert(ctx context.Context, regs []*nomadlike.ServiceRegistration) error {
	_, err := r.api.UpsertServiceRegistrations(ctx, r.secret, regs)
	return err
}

func (r serviceRegistrar) Deregister(ctx context.Context, ids []string) error {
	_, err := r.api.DeregisterServices(ctx, r.secret, ids)
	return err
}

// newServiceManager returns the manager, nil when the servers' API cannot
// register services.
func (c *Client) newServiceManager(secret string) *services.Manager {
	sa, ok := c.cfg.Servers.(serviceAPI)
	if !ok {
		return nil
	}
	return services.New(services.Config{Registrar: serviceRegistrar{sa, secret}, Node: c.nodeForTasks, Logger: c.logger})
}

// Services returns the client's service registration manager (nil when
// the servers' API has no catalog); the check runner reports through its
// SetChecks and ChecksChanged.
func (c *Client) Services() *services.Manager { return c.services }

// stateTee hands every allocation state change to the servers' updater and
// to the service manager.
type stateTee struct {
	updates  allocrunner.StateUpdater
	services *services.Manager
}

func (t stateTee) AllocStateUpdated(a *nomadlike.Allocation) {
	t.updates.AllocStateUpdated(a)
	t.services.AllocStateUpdated(a)
}

// serviceHook deregisters an allocation's services before its tasks are
// killed, and forgets the allocation when it is destroyed.
type serviceHook struct {
	m       *services.Manager
	allocID string
}

func (h serviceHook) Name() string   { return "services" }
func (h serviceHook) PreKill()       { h.m.Deregister(h.allocID) }
func (h serviceHook) Destroy() error { h.m.Forget(h.allocID); return nil }

// serviceReadAPI is the servers' read of a service (*api.Client has it).
type serviceReadAPI interface {
	NodeServiceInstances(ctx context.Context, secretID, ns, name string, waitIndex uint64, wait time.Duration) ([]*nomadlike.ServiceRegistration, *api.QueryMeta, error)
}

// serviceWatchWait bounds one blocking read of ServiceInstances.
const serviceWatchWait = 5 * time.Minute

// ErrNoServiceReads is the answer of ServiceInstances when the servers'
// API cannot read services.
var ErrNoServiceReads = errors.New("the servers' API cannot read services")

// ServiceInstances reads the instances of service name in namespace ns as
// this node (its SecretID), blocking until the catalog index passes
// waitIndex (0: at once); it returns the answer's index. The client's DNS
// interface (nomadlike/dns) watches the catalog through it.
func (c *Client) ServiceInstances(ctx context.Context, ns, name string, waitIndex uint64) ([]*nomadlike.ServiceRegistration, uint64, error) {
	sa, ok := c.cfg.Servers.(serviceReadAPI)
	if !ok {
		return nil, 0, ErrNoServiceReads
	}
	secret := c.nodeForTasks().SecretID
	regs, qm, err := sa.NodeServiceInstances(ctx, secret, ns, name, waitIndex, serviceWatchWait)
	if err != nil {
		return nil, 0, err
	}
	return regs, qm.LastIndex, nil
}
