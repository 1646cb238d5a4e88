package state

import (
	"fmt"
	"slices"
	"strings"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// AllNamespaces passed as the namespace of Jobs lists every namespace.
const AllNamespaces = nomadlike.AllNamespaces

// Reader holds the read methods shared by StateStore (latest state) and
// Snapshot (a fixed point in time). Every method takes a WatchSet, which may
// be nil; when it is not, the method adds the watch channels of what it read
// and the store's AbandonCh, so ws.WatchCtx returns when the result may have
// changed. Returned objects are shared with the store: never modify them.
// Safe for concurrent use.
type Reader struct {
	db        *memdb.MemDB
	abandonCh <-chan struct{}
	nodes     *nodeWatches // the live store's; nil on snapshots, which never change
}

func (r *Reader) txn(ws memdb.WatchSet) *memdb.Txn {
	if ws != nil {
		ws.Add(r.abandonCh)
	}
	return r.db.Txn(false)
}

// first returns the single object at (table, index, args), nil when absent.
func first[T any](txn *memdb.Txn, ws memdb.WatchSet, table, index string, args ...any) (*T, error) {
	ch, raw, err := txn.FirstWatch(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s by %s: %w", table, index, err)
	}
	if ws != nil {
		ws.Add(ch)
	}
	if raw == nil {
		return nil, nil
	}
	return raw.(*T), nil
}

// list returns every object at (table, index, args) in index order, keeping
// those keep accepts (keep may be nil).
func list[T any](txn *memdb.Txn, ws memdb.WatchSet, keep func(*T) bool, table, index string, args ...any) ([]*T, error) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s by %s: %w", table, index, err)
	}
	if ws != nil {
		ws.Add(it.WatchCh())
	}
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		obj := raw.(*T)
		if keep == nil || keep(obj) {
			out = append(out, obj)
		}
	}
	return out, nil
}

// JobByID returns the job, or nil, nil when it does not exist.
func (r *Reader) JobByID(ws memdb.WatchSet, ns, id string) (*nomadlike.Job, error) {
	return first[nomadlike.Job](r.txn(ws), ws, TableJobs, indexID, ns, id)
}

// Jobs returns the jobs of namespace ns (AllNamespaces for every one) whose
// ID starts with prefix, ordered by namespace then ID.
func (r *Reader) Jobs(ws memdb.WatchSet, ns, prefix string) ([]*nomadlike.Job, error) {
	txn := r.txn(ws)
	if ns == AllNamespaces {
		return list(txn, ws, func(j *nomadlike.Job) bool { return strings.HasPrefix(j.ID, prefix) },
			TableJobs, indexID)
	}
	return list[nomadlike.Job](txn, ws, nil, TableJobs, indexID+"_prefix", ns, prefix)
}

// JobVersionsByID returns the stored versions of the job, newest first.
func (r *Reader) JobVersionsByID(ws memdb.WatchSet, ns, id string) ([]*nomadlike.Job, error) {
	out, err := jobVersions(r.txn(ws), ws, ns, id)
	slices.Reverse(out)
	return out, err
}

// jobVersions returns the stored versions of the job, oldest first.
func jobVersions(txn *memdb.Txn, ws memdb.WatchSet, ns, id string) ([]*nomadlike.Job, error) {
	// The NUL ends the ID so that "web" does not match "web2".
	return list[nomadlike.Job](txn, ws, nil, TableJobVersions, indexID+"_prefix", ns, id+"\x00")
}

// JobByIDAndVersion returns one stored version of the job, or nil, nil.
func (r *Reader) JobByIDAndVersion(ws memdb.WatchSet, ns, id string, version uint64) (*nomadlike.Job, error) {
	return first[nomadlike.Job](r.txn(ws), ws, TableJobVersions, indexID, ns, id, version)
}

// JobSummaryByID returns the job's summary, or nil, nil.
func (r *Reader) JobSummaryByID(ws memdb.WatchSet, ns, id string) (*nomadlike.JobSummary, error) {
	return first[nomadlike.JobSummary](r.txn(ws), ws, TableJobSummary, indexID, ns, id)
}

// EvalByID returns the evaluation, or nil, nil.
func (r *Reader) EvalByID(ws memdb.WatchSet, id string) (*nomadlike.Evaluation, error) {
	return first[nomadlike.Evaluation](r.txn(ws), ws, TableEvals, indexID, id)
}

// Evals returns the evaluations whose ID starts with prefix, ordered by ID.
func (r *Reader) Evals(ws memdb.WatchSet, prefix string) ([]*nomadlike.Evaluation, error) {
	return list[nomadlike.Evaluation](r.txn(ws), ws, nil, TableEvals, indexID+"_prefix", prefix)
}

// EvalsByJob returns the job's evaluations.
func (r *Reader) EvalsByJob(ws memdb.WatchSet, ns, jobID string) ([]*nomadlike.Evaluation, error) {
	return list[nomadlike.Evaluation](r.txn(ws), ws, nil, TableEvals, indexJob, ns, jobID)
}

// AllocByID returns the allocation, or nil, nil.
func (r *Reader) AllocByID(ws memdb.WatchSet, id string) (*nomadlike.Allocation, error) {
	return first[nomadlike.Allocation](r.txn(ws), ws, TableAllocs, indexID, id)
}

// Allocs returns the allocations whose ID starts with prefix, ordered by ID.
func (r *Reader) Allocs(ws memdb.WatchSet, prefix string) ([]*nomadlike.Allocation, error) {
	return list[nomadlike.Allocation](r.txn(ws), ws, nil, TableAllocs, indexID+"_prefix", prefix)
}

// AllocsByJob returns the job's allocations, terminal ones included.
func (r *Reader) AllocsByJob(ws memdb.WatchSet, ns, jobID string) ([]*nomadlike.Allocation, error) {
	return list[nomadlike.Allocation](r.txn(ws), ws, nil, TableAllocs, indexJob, ns, jobID)
}

// AllocsByNode returns the node's allocations, terminal ones included.
//
// On the live store, ws watches the node's allocations only (see
// nodeWatches), not the radix node that a node without allocations shares
// with its neighbours.
func (r *Reader) AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*nomadlike.Allocation, error) {
	if ws != nil && r.nodes != nil {
		ws.Add(r.nodes.ch(nodeID)) // before the read: see nodeWatches.ch
		return list[nomadlike.Allocation](r.txn(ws), nil, nil, TableAllocs, indexNode, nodeID)
	}
	return list[nomadlike.Allocation](r.txn(ws), ws, nil, TableAllocs, indexNode, nodeID)
}

// AllocsByEval returns the allocations the evaluation created or changed.
//
// There is no allocation index by eval (each index costs a radix path of
// about 500 bytes per allocation, half a GiB at a million allocations, for
// this one HTTP route): the allocations of a stored evaluation are found
// among its job's, and those of an evaluation no longer stored by a scan of
// the table.
func (r *Reader) AllocsByEval(ws memdb.WatchSet, evalID string) ([]*nomadlike.Allocation, error) {
	if evalID == "" {
		return nil, nil
	}
	txn := r.txn(ws)
	ofEval := func(a *nomadlike.Allocation) bool { return a.EvalID == evalID }
	e, err := first[nomadlike.Evaluation](txn, ws, TableEvals, indexID, evalID)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return list(txn, ws, ofEval, TableAllocs, indexID)
	}
	return list(txn, ws, ofEval, TableAllocs, indexJob, e.Namespace, e.JobID)
}

// NodeByID returns the node, or nil, nil.
func (r *Reader) NodeByID(ws memdb.WatchSet, id string) (*nomadlike.Node, error) {
	return first[nomadlike.Node](r.txn(ws), ws, TableNodes, indexID, id)
}

// NodeBySecretID returns the node with that secret, or nil, nil.
func (r *Reader) NodeBySecretID(ws memdb.WatchSet, secret string) (*nomadlike.Node, error) {
	if secret == "" {
		return nil, nil
	}
	return first[nomadlike.Node](r.txn(ws), ws, TableNodes, indexSecretID, secret)
}

// Nodes returns the nodes whose ID starts with prefix, ordered by ID.
func (r *Reader) Nodes(ws memdb.WatchSet, prefix string) ([]*nomadlike.Node, error) {
	return list[nomadlike.Node](r.txn(ws), ws, nil, TableNodes, indexID+"_prefix", prefix)
}

// Index returns the latest raft index that wrote table, 0 when none did.
func (r *Reader) Index(table string) (uint64, error) {
	e, err := first[IndexEntry](r.db.Txn(false), nil, TableIndex, indexID, table)
	if err != nil || e == nil {
		return 0, err
	}
	return e.Value, nil
}

// LatestIndex returns the latest raft index applied to any table.
func (r *Reader) LatestIndex() (uint64, error) {
	return latestIndex(r.db.Txn(false), nil)
}

// IndexWatch is Index that also adds the table's index entry to ws, so a
// blocking query on a list fires on any write to the table.
func (r *Reader) IndexWatch(ws memdb.WatchSet, table string) (uint64, error) {
	e, err := first[IndexEntry](r.txn(ws), ws, TableIndex, indexID, table)
	if err != nil || e == nil {
		return 0, err
	}
	return e.Value, nil
}
