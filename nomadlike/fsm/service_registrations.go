package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Service catalog message types, explicit numbers 80..84.
const (
	ServiceRegistrationUpsertRequestType         MessageType = 80
	ServiceRegistrationDeleteByIDRequestType     MessageType = 81
	ServiceRegistrationDeleteByAllocsRequestType MessageType = 82
	ServiceRegistrationDeleteByNodeRequestType   MessageType = 83
	ServiceRegistrationDeleteByIDsRequestType    MessageType = 84
)

// ServiceRegistrationUpsertRequest writes registrations (a client's
// batch); those of unknown or terminal allocations are skipped.
type ServiceRegistrationUpsertRequest struct {
	Services []*nomadlike.ServiceRegistration `json:"Services"`
}

// ServiceRegistrationDeleteByIDRequest deletes one registration of a
// namespace (DELETE /v1/service/:name/:id); unknown: not found.
type ServiceRegistrationDeleteByIDRequest struct {
	Namespace string `json:"Namespace"`
	ID        string `json:"ID"`
}

// ServiceRegistrationDeleteByAllocsRequest deletes the registrations of
// allocations.
type ServiceRegistrationDeleteByAllocsRequest struct {
	AllocIDs []string `json:"AllocIDs"`
}

// ServiceRegistrationDeleteByNodeRequest deletes a node's registrations.
type ServiceRegistrationDeleteByNodeRequest struct {
	NodeID string `json:"NodeID"`
}

// ServiceRegistrationDeleteByIDsRequest deletes registrations by ID (a
// client's deregistration batch); unknown IDs are skipped.
type ServiceRegistrationDeleteByIDsRequest struct {
	IDs []string `json:"IDs"`
}

func applyServiceRegistrationUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[ServiceRegistrationUpsertRequest](e)
	return nil, s.UpsertServiceRegistrations(e.index, req.Services)
}

func applyServiceRegistrationDeleteByID(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[ServiceRegistrationDeleteByIDRequest](e)
	return nil, s.DeleteServiceRegistrationByID(e.index, req.Namespace, req.ID)
}

func applyServiceRegistrationDeleteByAllocs(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[ServiceRegistrationDeleteByAllocsRequest](e)
	return nil, s.DeleteServiceRegistrationsByAllocs(e.index, req.AllocIDs)
}

func applyServiceRegistrationDeleteByNode(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[ServiceRegistrationDeleteByNodeRequest](e)
	return nil, s.DeleteServiceRegistrationsByNode(e.index, req.NodeID)
}

func applyServiceRegistrationDeleteByIDs(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[ServiceRegistrationDeleteByIDsRequest](e)
	return nil, s.DeleteServiceRegistrationsByIDs(e.index, req.IDs)
}
