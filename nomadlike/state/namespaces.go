package state

import (
	"fmt"
	"slices"
	"strings"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// TableNamespaces holds the namespaces, by Name. The default namespace is
// built in: reads synthesize it (nomadlike.DefaultNamespaceObject) until
// someone writes it (to change its description), and it cannot be deleted.
const TableNamespaces = "namespaces"

func namespacesTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableNamespaces,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
		},
	}
}

// NamespaceByName returns the namespace, or nil, nil when it does not
// exist. The default namespace always exists.
func (r *Reader) NamespaceByName(ws memdb.WatchSet, name string) (*nomadlike.Namespace, error) {
	ns, err := first[nomadlike.Namespace](r.txn(ws), ws, TableNamespaces, indexID, name)
	if ns == nil && err == nil && name == nomadlike.DefaultNamespace {
		return nomadlike.DefaultNamespaceObject(), nil
	}
	return ns, err
}

// Namespaces returns the namespaces whose name starts with prefix, ordered
// by name, the default namespace included.
func (r *Reader) Namespaces(ws memdb.WatchSet, prefix string) ([]*nomadlike.Namespace, error) {
	out, err := list[nomadlike.Namespace](r.txn(ws), ws, nil, TableNamespaces, indexID+"_prefix", prefix)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(nomadlike.DefaultNamespace, prefix) {
		return out, nil
	}
	i, found := slices.BinarySearchFunc(out, nomadlike.DefaultNamespace, func(n *nomadlike.Namespace, name string) int {
		return strings.Compare(n.Name, name)
	})
	if !found {
		out = slices.Insert(out, i, nomadlike.DefaultNamespaceObject())
	}
	return out, nil
}

// namespaceExistsTxn reports whether the namespace exists in txn's view.
func namespaceExistsTxn(txn *memdb.Txn, name string) (bool, error) {
	if name == nomadlike.DefaultNamespace {
		return true, nil
	}
	ns, err := first[nomadlike.Namespace](txn, nil, TableNamespaces, indexID, name)
	return ns != nil, err
}

// UpsertNamespaces creates or updates namespaces at raft index, all or none:
// an invalid one fails the whole write with its *nomadlike.ValidationError
// (paths Namespaces[i].Name, ...). An update keeps CreateIndex.
func (s *StateStore) UpsertNamespaces(index uint64, namespaces []*nomadlike.Namespace) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		if err := nomadlike.ValidateNamespaces(namespaces); err != nil {
			return err
		}
		for _, in := range namespaces {
			ns := in.Copy()
			existing, err := first[nomadlike.Namespace](txn, nil, TableNamespaces, indexID, ns.Name)
			if err != nil {
				return err
			}
			ns.CreateIndex, ns.ModifyIndex = index, index
			if existing != nil {
				ns.CreateIndex = existing.CreateIndex
			}
			if err := txn.Insert(TableNamespaces, ns); err != nil {
				return fmt.Errorf("insert namespace %s: %w", reqlimit.Quote(ns.Name), err)
			}
		}
		return bumpIndex(txn, TableNamespaces, index)
	})
}

// DeleteNamespaces deletes namespaces at raft index, all or none. It
// refuses, changing nothing, the default namespace (a validation error), a
// namespace that does not exist (nomadlike.ErrNamespaceNotFound), and, as
// Nomad does, a namespace that has a non-terminal job or allocation
// (nomadlike.ErrConflict), or one that still holds variables
// (nomadlike.ErrConflict, naming their count): the check runs in the same transaction as the
// delete, so no job can be registered in between. Terminal (dead) jobs do
// not block the delete; they stay until purged, and cannot run again
// unless the namespace is created again.
func (s *StateStore) DeleteNamespaces(index uint64, names []string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		for _, name := range names {
			if err := deleteNamespaceTxn(txn, name); err != nil {
				return err
			}
		}
		return bumpIndex(txn, TableNamespaces, index)
	})
}

func deleteNamespaceTxn(txn *memdb.Txn, name string) error {
	if name == nomadlike.DefaultNamespace {
		return &nomadlike.ValidationError{Errors: []nomadlike.FieldError{{Path: "Name",
			Message: "the default namespace is built in and cannot be deleted"}}}
	}
	ns, err := first[nomadlike.Namespace](txn, nil, TableNamespaces, indexID, name)
	if err != nil {
		return err
	}
	if ns == nil {
		return fmt.Errorf("delete namespace %s: %w", reqlimit.Quote(name), nomadlike.ErrNamespaceNotFound)
	}
	jobs, err := list[nomadlike.Job](txn, nil, func(j *nomadlike.Job) bool { return j.Status != nomadlike.JobStatusDead },
		TableJobs, indexID+"_prefix", name, "")
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		return fmt.Errorf("delete namespace %s: %w: it has %d non-terminal job(s), e.g. %s; stop them first (job stop -namespace %s ID)",
			reqlimit.Quote(name), nomadlike.ErrConflict, len(jobs), reqlimit.Quote(jobs[0].ID), name)
	}
	allocs, err := list[nomadlike.Allocation](txn, nil, func(a *nomadlike.Allocation) bool { return !a.TerminalStatus() },
		TableAllocs, indexJob+"_prefix", name, "")
	if err != nil {
		return err
	}
	if len(allocs) > 0 {
		return fmt.Errorf("delete namespace %s: %w: it has %d non-terminal allocation(s), e.g. %s; wait for them to stop",
			reqlimit.Quote(name), nomadlike.ErrConflict, len(allocs), reqlimit.Quote(allocs[0].ID))
	}
	vars, err := list[nomadlike.VariableEncrypted](txn, nil, nil, TableVariables, indexID+"_prefix", name, "")
	if err != nil {
		return err
	}
	if len(vars) > 0 {
		// Nomad refuses too: the variables would be left behind, and
		// come back readable if the namespace were created again.
		return fmt.Errorf("delete namespace %s: %w: it holds %d variable(s), e.g. %s; delete them first (var purge -namespace %s PATH)",
			reqlimit.Quote(name), nomadlike.ErrConflict, len(vars), reqlimit.Quote(vars[0].Path), name)
	}
	if err := txn.Delete(TableNamespaces, ns); err != nil {
		return fmt.Errorf("delete namespace %s: %w", reqlimit.Quote(name), err)
	}
	return nil
}

// checkJobNamespace refuses, with a validation error naming Job.Namespace,
// a job that would run (Stop false) in a namespace that does not exist. A
// stop is always allowed, so that jobs stored before namespaces were
// checked can still be stopped.
func checkJobNamespace(txn *memdb.Txn, job *nomadlike.Job) error {
	if job.Stop {
		return nil
	}
	ok, err := namespaceExistsTxn(txn, job.Namespace)
	if err != nil || ok {
		return err
	}
	return nomadlike.NamespaceMissingError("Job.Namespace", job.Namespace)
}
