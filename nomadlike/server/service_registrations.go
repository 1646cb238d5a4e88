package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// MaxServiceRegistrationsPerCall bounds one client batch of registrations
// or deregistrations.
const MaxServiceRegistrationsPerCall = 1024

// UpsertServiceRegistrations writes a client's batch of registrations
// (Nomad's ServiceRegistration.Upsert RPC) and returns after commit. The
// caller is the node whose SecretID is secretID; every registration must
// be of an allocation placed on that node, and its NodeID, Namespace,
// JobID and Datacenter are taken from the servers' records, so a client
// cannot register into another node's, job's or namespace's name.
// Registrations of allocations the servers do not know or that are
// terminal are skipped by the FSM.
func (s *Server) UpsertServiceRegistrations(secretID string, regs []*nomadlike.ServiceRegistration) (uint64, error) {
	const op = "upsert service registrations"
	if !s.IsLeader() {
		return 0, notLeader(op)
	}
	node, err := s.nodeBySecret(op, secretID)
	if err != nil {
		return 0, err
	}
	if len(regs) == 0 || len(regs) > MaxServiceRegistrationsPerCall {
		return 0, fmt.Errorf("%s: %w: Services: %d registrations, want 1 to %d", op, nomadlike.ErrValidation, len(regs), MaxServiceRegistrationsPerCall)
	}
	st := s.fsm.State()
	out := make([]*nomadlike.ServiceRegistration, 0, len(regs))
	for i, in := range regs {
		path := fmt.Sprintf("Services[%d]", i)
		if in != nil && in.NodeID == "" {
			in.NodeID = node.ID
		}
		if err := in.Validate(path); err != nil {
			return 0, err
		}
		a, err := st.AllocByID(nil, in.AllocID)
		if err != nil {
			return 0, err
		}
		if a == nil {
			continue
		}
		if a.NodeID != node.ID || in.NodeID != node.ID {
			return 0, fmt.Errorf("%s: %w: %s: allocation %s is not placed on node %s", op, nomadlike.ErrPermission, path, in.AllocID, node.ID)
		}
		reg := in.Copy()
		reg.Namespace, reg.JobID, reg.Datacenter = a.Namespace, a.JobID, node.Datacenter
		out = append(out, reg)
	}
	if len(out) == 0 {
		return 0, nil
	}
	return s.raftApply(fsm.ServiceRegistrationUpsertRequestType, &fsm.ServiceRegistrationUpsertRequest{Services: out})
}

// DeregisterServicesFromClient deletes registrations of the node whose
// SecretID is secretID, by ID (a client's deregistration batch), and
// returns after commit. Unknown IDs are skipped; an ID of another node's
// registration is refused (nomadlike.ErrPermission) and nothing is deleted.
func (s *Server) DeregisterServicesFromClient(secretID string, ids []string) (uint64, error) {
	const op = "deregister services"
	if !s.IsLeader() {
		return 0, notLeader(op)
	}
	node, err := s.nodeBySecret(op, secretID)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 || len(ids) > MaxServiceRegistrationsPerCall {
		return 0, fmt.Errorf("%s: %w: IDs: %d IDs, want 1 to %d", op, nomadlike.ErrValidation, len(ids), MaxServiceRegistrationsPerCall)
	}
	st := s.fsm.State()
	known := make([]string, 0, len(ids))
	for i, id := range ids {
		reg, err := st.ServiceRegistrationByID(nil, id)
		if err != nil {
			return 0, err
		}
		if reg == nil {
			continue
		}
		if reg.NodeID != node.ID {
			return 0, fmt.Errorf("%s: %w: IDs[%d]: registration %s is not of node %s", op, nomadlike.ErrPermission, i, id, node.ID)
		}
		known = append(known, id)
	}
	if len(known) == 0 {
		return 0, nil
	}
	return s.raftApply(fsm.ServiceRegistrationDeleteByIDsRequestType, &fsm.ServiceRegistrationDeleteByIDsRequest{IDs: known})
}

// DeleteServiceRegistration deletes one registration of namespace ns
// (DELETE /v1/service/:name/:id) and returns after commit; an unknown ID
// fails with an error wrapping nomadlike.ErrNotFound. The client that
// registered it puts it back at its next change only (as in Nomad).
func (s *Server) DeleteServiceRegistration(ns, id string) (uint64, error) {
	const op = "delete service registration"
	if !s.IsLeader() {
		return 0, notLeader(op)
	}
	reg, err := s.fsm.State().ServiceRegistrationByID(nil, id)
	if err != nil {
		return 0, err
	}
	if reg == nil || reg.Namespace != ns {
		return 0, fmt.Errorf("%s %q: %w", op, id, nomadlike.ErrNotFound)
	}
	return s.raftApply(fsm.ServiceRegistrationDeleteByIDRequestType, &fsm.ServiceRegistrationDeleteByIDRequest{Namespace: ns, ID: id})
}
