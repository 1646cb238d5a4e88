package state

import (
	"fmt"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// UpsertNode registers or updates a node at raft index. A re-registration
// keeps CreateIndex and the server-owned drain and eligibility fields
// (DrainStrategy, Drain, SchedulingEligibility); a new node with no
// eligibility is eligible.
func (s *StateStore) UpsertNode(index uint64, node *nomadlike.Node) error {
	if node == nil || node.ID == "" {
		return fmt.Errorf("upsert node: %w: node needs an ID", nomadlike.ErrValidation)
	}
	return s.writeTxn(func(txn *memdb.Txn) error {
		n := node.Copy()
		existing, err := first[nomadlike.Node](txn, nil, TableNodes, indexID, n.ID)
		if err != nil {
			return err
		}
		if existing != nil {
			n.CreateIndex = existing.CreateIndex
			n.DrainStrategy = existing.DrainStrategy
			n.Drain = existing.Drain
			n.SchedulingEligibility = existing.SchedulingEligibility
		} else {
			n.CreateIndex = index
			if n.SchedulingEligibility == "" {
				n.SchedulingEligibility = nomadlike.NodeSchedulingEligible
			}
		}
		return putNode(txn, index, n)
	})
}

func putNode(txn *memdb.Txn, index uint64, n *nomadlike.Node) error {
	n.ModifyIndex = index
	n.StatusUpdatedAt = unixSeconds(n.StatusUpdatedAt)
	if err := txn.Insert(TableNodes, n); err != nil {
		return fmt.Errorf("upsert node %q: %w", n.ID, err)
	}
	return bumpIndex(txn, TableNodes, index)
}

// DeleteNode removes nodes. It fails, writing nothing, with an error wrapping
// nomadlike.ErrNotFound when an ID names no node.
func (s *StateStore) DeleteNode(index uint64, ids []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		for _, id := range ids {
			n, err := first[nomadlike.Node](txn, nil, TableNodes, indexID, id)
			if err != nil {
				return err
			}
			if n == nil {
				return fmt.Errorf("delete node %q: %w", id, nomadlike.ErrNotFound)
			}
			if err := txn.Delete(TableNodes, n); err != nil {
				return fmt.Errorf("delete node %q: %w", id, err)
			}
			if err := deleteServicesTxn(txn, index, indexNode, id); err != nil { // service catalog
				return err
			}
		}
		return bumpIndex(txn, TableNodes, index)
	})
}

// updateNode applies change to a copy of the stored node. It fails with an
// error wrapping nomadlike.ErrNotFound when the node does not exist.
func (s *StateStore) updateNode(index uint64, id, what string, change func(n *nomadlike.Node) error, also ...func(txn *memdb.Txn) error) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		existing, err := first[nomadlike.Node](txn, nil, TableNodes, indexID, id)
		if err != nil {
			return err
		}
		if existing == nil {
			return fmt.Errorf("update %s of node %q: %w", what, id, nomadlike.ErrNotFound)
		}
		n := existing.Copy()
		if err := change(n); err != nil {
			return fmt.Errorf("update %s of node %q: %w", what, id, err)
		}
		for _, f := range also {
			if err := f(txn); err != nil {
				return err
			}
		}
		return putNode(txn, index, n)
	})
}

// unixSeconds returns a StatusUpdatedAt in unix seconds, as Nomad's: raft
// entries written before nomadlike used seconds hold unix nanoseconds
// (any value past year 33658 in seconds).
func unixSeconds(v int64) int64 {
	if v > 1e12 {
		return v / int64(time.Second)
	}
	return v
}

// UpdateNodeStatus sets the node's status and StatusUpdatedAt (unix
// seconds, as Nomad's; unix nanoseconds from old entries are converted).
func (s *StateStore) UpdateNodeStatus(index uint64, nodeID, status string, updatedAt int64) error {
	return s.updateNode(index, nodeID, "status", func(n *nomadlike.Node) error {
		n.Status = status
		n.StatusUpdatedAt = updatedAt
		return nil
	}, func(txn *memdb.Txn) error { // service catalog: a down node's instances go
		if status != nomadlike.NodeStatusDown {
			return nil
		}
		return deleteServicesTxn(txn, index, indexNode, nodeID)
	})
}

// UpdateNodeEligibility sets the node's scheduling eligibility. Making a
// draining node eligible fails with an error wrapping nomadlike.ErrConflict.
func (s *StateStore) UpdateNodeEligibility(index uint64, nodeID, eligibility string) error {
	return s.updateNode(index, nodeID, "eligibility", func(n *nomadlike.Node) error {
		switch eligibility {
		case nomadlike.NodeSchedulingEligible, nomadlike.NodeSchedulingIneligible:
		default:
			return fmt.Errorf("%w: eligibility %q is neither %q nor %q", nomadlike.ErrValidation,
				eligibility, nomadlike.NodeSchedulingEligible, nomadlike.NodeSchedulingIneligible)
		}
		if eligibility == nomadlike.NodeSchedulingEligible && n.DrainStrategy != nil {
			return fmt.Errorf("%w: a draining node cannot be made eligible", nomadlike.ErrConflict)
		}
		n.SchedulingEligibility = eligibility
		return nil
	})
}

// UpdateNodeDrain starts (drain != nil) or ends (drain == nil) a drain. A
// draining node is ineligible; ending a drain with markEligible makes it
// eligible again.
func (s *StateStore) UpdateNodeDrain(index uint64, nodeID string, drain *nomadlike.DrainStrategy, markEligible bool) error {
	return s.updateNode(index, nodeID, "drain", func(n *nomadlike.Node) error {
		if drain != nil {
			d := *drain
			n.DrainStrategy = &d
			n.Drain = true
			n.SchedulingEligibility = nomadlike.NodeSchedulingIneligible
			return nil
		}
		n.DrainStrategy = nil
		n.Drain = false
		if markEligible {
			n.SchedulingEligibility = nomadlike.NodeSchedulingEligible
		}
		return nil
	})
}
