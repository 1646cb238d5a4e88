package server

import (
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fsm"
)

// UpsertNamespaces creates or updates namespaces and returns after commit.
// Every namespace is validated first; the errors name the field
// (Namespaces[0].Name: ...).
func (s *Server) UpsertNamespaces(namespaces []*nomadlike.Namespace) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("upsert namespaces")
	}
	if len(namespaces) == 0 {
		return 0, fmt.Errorf("upsert namespaces: %w: no namespace given", nomadlike.ErrValidation)
	}
	if err := nomadlike.ValidateNamespaces(namespaces); err != nil {
		return 0, err
	}
	index, err := s.raftApply(fsm.NamespaceUpsertRequestType, &fsm.NamespaceUpsertRequest{Namespaces: namespaces})
	if err != nil {
		return index, fmt.Errorf("upsert namespaces: %w", err)
	}
	return index, nil
}

// DeleteNamespaces deletes namespaces and returns after commit. The FSM
// refuses the default namespace, unknown ones, and ones with non-terminal
// jobs or allocations (see state.StateStore.DeleteNamespaces); then nothing
// is deleted.
func (s *Server) DeleteNamespaces(names []string) (uint64, error) {
	if !s.IsLeader() {
		return 0, notLeader("delete namespaces")
	}
	if len(names) == 0 {
		return 0, fmt.Errorf("delete namespaces: %w: no namespace given", nomadlike.ErrValidation)
	}
	index, err := s.raftApply(fsm.NamespaceDeleteRequestType, &fsm.NamespaceDeleteRequest{Names: names})
	if err != nil {
		return index, fmt.Errorf("delete namespaces: %w", err)
	}
	return index, nil
}

// checkNamespace refuses a job whose namespace does not exist, before
// anything is proposed to raft; the FSM checks again in the transaction
// that writes the job (state.checkJobNamespace), so a namespace deleted in
// between cannot leave an orphan job.
func (s *Server) checkNamespace(job *nomadlike.Job) error {
	ns, err := s.fsm.State().NamespaceByName(nil, job.Namespace)
	if err != nil {
		return err
	}
	if ns == nil {
		return nomadlike.NamespaceMissingError("Job.Namespace", job.Namespace)
	}
	return nil
}
