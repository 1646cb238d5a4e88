package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TableServiceRegistrations is the service catalog: one
// nomadlike.ServiceRegistration per instance, by ID, with indexes by
// (Namespace, ServiceName), allocation, node and (Namespace, JobID). An
// allocation's registrations go away in the transaction that makes it
// terminal, deletes it, marks its node down, or purges its job, so a dead
// client cannot leave instances behind.
const TableServiceRegistrations = "service_registrations"

const (
	indexService = "service"
	indexAlloc   = "alloc"
)

func serviceRegistrationsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableServiceRegistrations,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:      {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexService: {Name: indexService, Indexer: nsIDIndex("ServiceName")},
			indexAlloc:   {Name: indexAlloc, Indexer: &memdb.StringFieldIndex{Field: "AllocID"}},
			indexNode:    {Name: indexNode, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
			indexJob:     {Name: indexJob, Indexer: nsIDIndex("JobID")},
		},
	}
}

// ServiceRegistrations returns the registrations of namespace ns
// (AllNamespaces: every one), ordered by namespace, service name, then ID.
func (r *Reader) ServiceRegistrations(ws memdb.WatchSet, ns string) ([]*nomadlike.ServiceRegistration, error) {
	txn := r.txn(ws)
	if ns == AllNamespaces {
		return list[nomadlike.ServiceRegistration](txn, ws, nil, TableServiceRegistrations, indexService)
	}
	return list[nomadlike.ServiceRegistration](txn, ws, nil, TableServiceRegistrations, indexService+"_prefix", ns, "")
}

// ServiceRegistrationsByName returns the instances of service name in ns,
// ordered by ID.
func (r *Reader) ServiceRegistrationsByName(ws memdb.WatchSet, ns, name string) ([]*nomadlike.ServiceRegistration, error) {
	return list[nomadlike.ServiceRegistration](r.txn(ws), ws, nil, TableServiceRegistrations, indexService, ns, name)
}

// ServiceRegistrationByID returns one registration, or nil, nil.
func (r *Reader) ServiceRegistrationByID(ws memdb.WatchSet, id string) (*nomadlike.ServiceRegistration, error) {
	return first[nomadlike.ServiceRegistration](r.txn(ws), ws, TableServiceRegistrations, indexID, id)
}

// ServiceRegistrationsByAlloc returns the allocation's registrations.
func (r *Reader) ServiceRegistrationsByAlloc(ws memdb.WatchSet, allocID string) ([]*nomadlike.ServiceRegistration, error) {
	return list[nomadlike.ServiceRegistration](r.txn(ws), ws, nil, TableServiceRegistrations, indexAlloc, allocID)
}

// ServiceRegistrationsByNode returns the node's registrations.
func (r *Reader) ServiceRegistrationsByNode(ws memdb.WatchSet, nodeID string) ([]*nomadlike.ServiceRegistration, error) {
	return list[nomadlike.ServiceRegistration](r.txn(ws), ws, nil, TableServiceRegistrations, indexNode, nodeID)
}

// UpsertServiceRegistrations writes registrations at raft index. A
// registration of an allocation the store does not know, or that is
// terminal, is skipped (a late update from a client must not bring back
// an instance the servers removed); one equal to the stored one is left
// as it is (no index change). An update keeps CreateIndex.
func (s *StateStore) UpsertServiceRegistrations(index uint64, regs []*nomadlike.ServiceRegistration) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		changed := false
		for _, in := range regs {
			if in == nil {
				continue
			}
			a, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, in.AllocID)
			if err != nil {
				return err
			}
			if a == nil || a.TerminalStatus() {
				continue
			}
			existing, err := first[nomadlike.ServiceRegistration](txn, nil, TableServiceRegistrations, indexID, in.ID)
			if err != nil {
				return err
			}
			if existing != nil && existing.Equal(in) {
				continue
			}
			reg := in.Copy()
			reg.CreateIndex, reg.ModifyIndex = index, index
			if existing != nil {
				reg.CreateIndex = existing.CreateIndex
			}
			if err := txn.Insert(TableServiceRegistrations, reg); err != nil {
				return fmt.Errorf("upsert service registration %q: %w", reg.ID, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
		return bumpIndex(txn, TableServiceRegistrations, index)
	})
}

// DeleteServiceRegistrationByID deletes one registration of namespace ns;
// an unknown ID (or one of another namespace) fails with an error wrapping
// nomadlike.ErrNotFound.
func (s *StateStore) DeleteServiceRegistrationByID(index uint64, ns, id string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		reg, err := first[nomadlike.ServiceRegistration](txn, nil, TableServiceRegistrations, indexID, id)
		if err != nil {
			return err
		}
		if reg == nil || reg.Namespace != ns {
			return fmt.Errorf("delete service registration %q: %w", id, nomadlike.ErrNotFound)
		}
		if err := txn.Delete(TableServiceRegistrations, reg); err != nil {
			return fmt.Errorf("delete service registration %q: %w", id, err)
		}
		return bumpIndex(txn, TableServiceRegistrations, index)
	})
}

// DeleteServiceRegistrationsByIDs deletes registrations by ID; unknown IDs
// are skipped.
func (s *StateStore) DeleteServiceRegistrationsByIDs(index uint64, ids []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		n := 0
		for _, id := range ids {
			k, err := txn.DeleteAll(TableServiceRegistrations, indexID, id)
			if err != nil {
				return fmt.Errorf("delete service registration %q: %w", id, err)
			}
			n += k
		}
		return bumpIfDeleted(txn, index, n)
	})
}

// DeleteServiceRegistrationsByAllocs deletes the registrations of the
// allocations.
func (s *StateStore) DeleteServiceRegistrationsByAllocs(index uint64, allocIDs []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		for _, id := range allocIDs {
			if err := deleteServicesTxn(txn, index, indexAlloc, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteServiceRegistrationsByNode deletes the node's registrations.
func (s *StateStore) DeleteServiceRegistrationsByNode(index uint64, nodeID string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		return deleteServicesTxn(txn, index, indexNode, nodeID)
	})
}

// deleteServicesTxn deletes the registrations at (index name, args) and
// bumps the table's index when it deleted any.
func deleteServicesTxn(txn *memdb.Txn, index uint64, idx string, args ...any) error {
	n, err := txn.DeleteAll(TableServiceRegistrations, idx, args...)
	if err != nil {
		return fmt.Errorf("delete service registrations by %s: %w", idx, err)
	}
	return bumpIfDeleted(txn, index, n)
}

func bumpIfDeleted(txn *memdb.Txn, index uint64, n int) error {
	if n == 0 {
		return nil
	}
	return bumpIndex(txn, TableServiceRegistrations, index)
}

// allocServicesGoneTxn deletes the registrations of a when it is terminal
// (called by every allocation write).
func allocServicesGoneTxn(txn *memdb.Txn, index uint64, a *nomadlike.Allocation) error {
	if a == nil || !a.TerminalStatus() {
		return nil
	}
	return deleteServicesTxn(txn, index, indexAlloc, a.ID)
}
