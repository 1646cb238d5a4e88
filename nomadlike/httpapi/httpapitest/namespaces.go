package httpapitest

import (
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// UpsertNamespaces writes namespaces as the FSM does (httpapi.NamespaceBackend).
func (f *Server) UpsertNamespaces(namespaces []*nomadlike.Namespace) (uint64, error) {
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.UpsertNamespaces(index, namespaces) })
}

// DeleteNamespaces deletes namespaces as the FSM does.
func (f *Server) DeleteNamespaces(names []string) (uint64, error) {
	return f.Apply(func(st *state.StateStore, index uint64) error { return st.DeleteNamespaces(index, names) })
}
