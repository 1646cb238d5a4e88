package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Snapshot is an immutable point-in-time view of the store. It implements
// scheduler.State with the methods below; the WatchSet reads of the embedded
// Reader are promoted, and where a name is taken by scheduler.State (JobByID,
// Nodes, NodeByID, AllocsByJob, AllocsByNode, EvalByID) they are reached as
// snap.Reader.JobByID(ws, ...). Safe for concurrent use.
type Snapshot struct {
	*Reader
}

func newSnapshot(db *memdb.MemDB, abandonCh <-chan struct{}) *Snapshot {
	return &Snapshot{Reader: &Reader{db: db, abandonCh: abandonCh}}
}

// JobByID returns the job or nil when it does not exist.
func (s *Snapshot) JobByID(ns, id string) (*nomadlike.Job, error) {
	return s.Reader.JobByID(nil, ns, id)
}

// Nodes returns every node, ordered by ID.
func (s *Snapshot) Nodes() ([]*nomadlike.Node, error) { return s.Reader.Nodes(nil, "") }

// NodeByID returns the node or nil.
func (s *Snapshot) NodeByID(id string) (*nomadlike.Node, error) { return s.Reader.NodeByID(nil, id) }

// AllocsByJob returns the job's allocations, terminal ones included.
func (s *Snapshot) AllocsByJob(ns, jobID string) ([]*nomadlike.Allocation, error) {
	return s.Reader.AllocsByJob(nil, ns, jobID)
}

// AllocsByNode returns the node's allocations, terminal ones included.
func (s *Snapshot) AllocsByNode(nodeID string) ([]*nomadlike.Allocation, error) {
	return s.Reader.AllocsByNode(nil, nodeID)
}

// EvalByID returns the evaluation or nil.
func (s *Snapshot) EvalByID(id string) (*nomadlike.Evaluation, error) {
	return s.Reader.EvalByID(nil, id)
}
