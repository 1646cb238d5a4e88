package server

import (
	"crypto/subtle"
	"fmt"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Node authentication. Every call a client agent makes for its node
// (register again, heartbeat, allocation updates) carries the node's
// SecretID, as Nomad's node RPCs do, whatever the ACL setting: the secret
// is chosen by the client when it first registers and is never shown by
// the API. A new node ID may register with any secret (there is nothing
// to check it against, as in Nomad without ACLs); from then on the secret
// is the node's identity.

// errSecretMismatch is the message of every secret check; it names no
// secret.
const errSecretMismatch = "the node's SecretID must be sent in the X-Nomad-Token header"

// sameSecret compares two secrets in constant time; an empty secret never
// matches.
func sameSecret(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authenticateNode returns the node nodeID when secretID is its secret. An
// unknown node fails with an error wrapping nomadlike.ErrNotFound (the
// client then registers again), a wrong or missing secret with one
// wrapping nomadlike.ErrPermission.
func (s *Server) authenticateNode(op, nodeID, secretID string) (*nomadlike.Node, error) {
	node, err := s.fsm.State().NodeByID(nil, nodeID)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, fmt.Errorf("%s %s: %w", op, nodeID, nomadlike.ErrNotFound)
	}
	if !sameSecret(node.SecretID, secretID) {
		return nil, fmt.Errorf("%s %s: %w: %s", op, nodeID, nomadlike.ErrPermission, errSecretMismatch)
	}
	return node, nil
}

// nodeBySecret returns the node whose secret is secretID, or an error
// wrapping nomadlike.ErrPermission.
func (s *Server) nodeBySecret(op, secretID string) (*nomadlike.Node, error) {
	if secretID == "" {
		return nil, fmt.Errorf("%s: %w: no node secret; %s", op, nomadlike.ErrPermission, errSecretMismatch)
	}
	node, err := s.fsm.State().NodeBySecretID(nil, secretID)
	if err != nil {
		return nil, err
	}
	if node == nil || !sameSecret(node.SecretID, secretID) {
		return nil, fmt.Errorf("%s: %w: no node has this secret; %s", op, nomadlike.ErrPermission, errSecretMismatch)
	}
	return node, nil
}

// checkClientAllocs fails with an error wrapping nomadlike.ErrPermission
// when an allocation of allocs is placed on another node than node: a
// client reports only its own allocations. Allocations the servers no
// longer know are let through (the update skips them).
func (s *Server) checkClientAllocs(node *nomadlike.Node, allocs []*nomadlike.Allocation) error {
	st := s.fsm.State()
	for i, a := range allocs {
		if a == nil {
			continue // rejected by the update's validation
		}
		existing, err := st.AllocByID(nil, a.ID)
		if err != nil {
			return err
		}
		if existing != nil && existing.NodeID != node.ID {
			return fmt.Errorf("update allocations: %w: Allocs[%d]: allocation %s is not placed on node %s",
				nomadlike.ErrPermission, i, a.ID, node.ID)
		}
	}
	return nil
}
