package fsm

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// NamespaceUpsertRequest creates or updates namespaces, all or none.
type NamespaceUpsertRequest struct {
	Namespaces []*nomadlike.Namespace `json:"Namespaces"`
}

// NamespaceDeleteRequest deletes namespaces, all or none. The store refuses
// the default namespace and a namespace with non-terminal jobs or
// allocations, in the transaction that would delete it (see
// state.StateStore.DeleteNamespaces), so a job registered meanwhile is
// either seen or refused for want of its namespace.
type NamespaceDeleteRequest struct {
	Names []string `json:"Names"`
}

func applyNamespaceUpsert(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NamespaceUpsertRequest](e)
	return nil, s.UpsertNamespaces(e.index, req.Namespaces)
}

func applyNamespaceDelete(s *state.StateStore, e entry) ([]*nomadlike.Evaluation, error) {
	req := decode[NamespaceDeleteRequest](e)
	return nil, s.DeleteNamespaces(e.index, req.Names)
}
