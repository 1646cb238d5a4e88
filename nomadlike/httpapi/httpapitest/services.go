package httpapitest

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// UpsertServiceRegistrations writes a node's registrations as the FSM does
// (httpapi.ServiceBackend) when secretID is that node's secret.
func (f *Server) UpsertServiceRegistrations(secretID string, regs []*nomadlike.ServiceRegistration) (uint64, error) {
	n, err := f.Store().NodeBySecretID(nil, secretID)
	if err != nil {
		return 0, err
	}
	if secretID == "" || n == nil {
		return 0, fmt.Errorf("upsert service registrations: %w: unknown node secret", nomadlike.ErrPermission)
	}
	for _, r := range regs {
		if r.NodeID != n.ID {
			return 0, fmt.Errorf("upsert service registrations: %w: %s is not of node %s", nomadlike.ErrPermission, r.ID, n.ID)
		}
	}
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertServiceRegistrations(index, regs) })
}

// DeregisterServicesFromClient deletes registrations by ID.
func (f *Server) DeregisterServicesFromClient(secretID string, ids []string) (uint64, error) {
	if n, _ := f.Store().NodeBySecretID(nil, secretID); secretID == "" || n == nil {
		return 0, fmt.Errorf("deregister services: %w: unknown node secret", nomadlike.ErrPermission)
	}
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.DeleteServiceRegistrationsByIDs(index, ids) })
}

// DeleteServiceRegistration deletes one registration of namespace ns.
func (f *Server) DeleteServiceRegistration(ns, id string) (uint64, error) {
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.DeleteServiceRegistrationByID(index, ns, id) })
}
