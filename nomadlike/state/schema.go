package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Table names, also the keys of the index table.
const (
	TableJobs        = "jobs"
	TableJobVersions = "job_versions"
	TableJobSummary  = "job_summary"
	TableEvals       = "evals"
	TableAllocs      = "allocs"
	TableNodes       = "nodes"
	// TablePeriodicLaunch holds each periodic job's last launch.
	TablePeriodicLaunch = "periodic_launch"
	TableIndex          = "index"
)

// dataTables lists the tables that hold domain objects, in dump order.
var dataTables = []string{TableJobs, TableJobVersions, TableJobSummary, TableEvals, TableAllocs, TableNodes, TablePeriodicLaunch,
	TableNamespaces,                  // namespaces (namespaces.go)
	TableACLPolicies, TableACLTokens, // ACL store (acl.go)
	TableScalingEvents,            // job scaling events (scaling.go)
	TableVariables, TableRootKeys, // variables and keyring (variables.go)
	TableServiceRegistrations, // service catalog (service_registrations.go)
	TableDeployments,          // deployments (deployments.go)
	TableSchedulerConfig,      // scheduler configuration (scheduler_config.go)
	TableHostVolumes,          // dynamic host volumes (host_volumes.go)
}

// Index names.
const (
	indexID       = "id"
	indexJob      = "job"
	indexNode     = "node"
	indexSecretID = "secret_id"
	indexParent   = "parent"   // jobs by (Namespace, ParentID): the children of a job
	indexPeriodic = "periodic" // jobs by whether they are periodic parents
)

// IndexEntry is a row of the index table: the latest raft index that wrote
// the table named Key.
type IndexEntry struct {
	Key   string `json:"Key"`
	Value uint64 `json:"Value"`
}

func nsIDIndex(idField string) *memdb.CompoundIndex {
	return &memdb.CompoundIndex{Indexes: []memdb.Indexer{
		&memdb.StringFieldIndex{Field: "Namespace"},
		&memdb.StringFieldIndex{Field: idField},
	}}
}

func schema() *memdb.DBSchema {
	s := baseSchema()
	// ACL store: token and policy tables (acl.go).
	for name, t := range aclTableSchemas() {
		s.Tables[name] = t
	}
	// Variables and keyring (variables.go).
	for name, t := range variableTableSchemas() {
		s.Tables[name] = t
	}
	return s
}

func baseSchema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableJobs: {
			Name: TableJobs,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:           {Name: indexID, Unique: true, Indexer: nsIDIndex("ID")},
				indexParent:       {Name: indexParent, AllowMissing: true, Indexer: nsIDIndex("ParentID")},
				indexDispatchLine: dispatchLineSchema(), // max_concurrent lines (dispatch_line.go)
				indexPeriodic: {Name: indexPeriodic, Indexer: &memdb.ConditionalIndex{Conditional: func(obj any) (bool, error) {
					return obj.(*nomadlike.Job).IsPeriodic(), nil
				}}},
			},
		},
		TableJobVersions: {
			Name: TableJobVersions,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Namespace"},
					&memdb.StringFieldIndex{Field: "ID"},
					&memdb.UintFieldIndex{Field: "Version"},
				}}},
			},
		},
		TableJobSummary: {
			Name: TableJobSummary,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("JobID")},
			},
		},
		TableEvals: {
			Name: TableEvals,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:  {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				indexJob: {Name: indexJob, Indexer: nsIDIndex("JobID")},
			},
		},
		TableAllocs: {
			Name: TableAllocs,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:   {Name: indexID, Unique: true, Indexer: allocIndex("ID", false)},
				indexNode: {Name: indexNode, AllowMissing: true, Indexer: allocIndex("NodeID", true)},
				indexJob:  {Name: indexJob, Indexer: allocJobIndex{nsIDIndex("JobID")}},
			},
		},
		TableNodes: {
			Name: TableNodes,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:       {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				indexSecretID: {Name: indexSecretID, Unique: true, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "SecretID"}},
			},
		},
		TablePeriodicLaunch: {
			Name: TablePeriodicLaunch,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: nsIDIndex("ID")},
			},
		},
		TableNamespaces:           namespacesTable(),           // namespaces (namespaces.go)
		TableScalingEvents:        scalingEventsTable(),        // job scaling events (scaling.go)
		TableServiceRegistrations: serviceRegistrationsTable(), // service catalog (service_registrations.go)
		TableDeployments:          deploymentsTable(),          // deployments (deployments.go)
		TableSchedulerConfig:      schedulerConfigTable(),      // scheduler configuration (scheduler_config.go)
		TableHostVolumes:          hostVolumesTable(),          // dynamic host volumes (host_volumes.go)
		TableIndex: {
			Name: TableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			},
		},
	}}
}

// bumpIndex raises the index table entry of table to index.
func bumpIndex(txn *memdb.Txn, table string, index uint64) error {
	raw, err := txn.First(TableIndex, indexID, table)
	if err != nil {
		return fmt.Errorf("read index of %q: %w", table, err)
	}
	if raw != nil && raw.(*IndexEntry).Value >= index {
		return nil
	}
	if err := txn.Insert(TableIndex, &IndexEntry{Key: table, Value: index}); err != nil {
		return fmt.Errorf("update index of %q: %w", table, err)
	}
	return nil
}

// Allocation indexes. They build the same keys as memdb's StringFieldIndex
// and CompoundIndex (value, then a NUL, per field), which still serve the
// lookups (FromArgs, PrefixFromArgs), but without reflection, and with room
// for the primary key memdb appends to the keys of non-unique indexes: three
// indexes per allocation write, twice for an update (old and new keys).

// allocStringIndex indexes allocations by one string field.
type allocStringIndex struct {
	*memdb.StringFieldIndex
	field  func(*nomadlike.Allocation) string
	unique bool
}

func allocIndex(field string, nonUnique bool) *allocStringIndex {
	get := map[string]func(*nomadlike.Allocation) string{
		"ID":     func(a *nomadlike.Allocation) string { return a.ID },
		"NodeID": func(a *nomadlike.Allocation) string { return a.NodeID },
	}[field]
	return &allocStringIndex{StringFieldIndex: &memdb.StringFieldIndex{Field: field}, field: get, unique: !nonUnique}
}

func (x *allocStringIndex) FromObject(obj any) (bool, []byte, error) {
	a, ok := obj.(*nomadlike.Allocation)
	if !ok {
		return x.StringFieldIndex.FromObject(obj)
	}
	v := x.field(a)
	if v == "" {
		return false, nil, nil
	}
	return true, nulKey(v, "", x.primaryRoom(a)), nil
}

func (x *allocStringIndex) primaryRoom(a *nomadlike.Allocation) int {
	if x.unique {
		return 0
	}
	return len(a.ID) + 1
}

// allocJobIndex indexes allocations by (Namespace, JobID).
type allocJobIndex struct{ *memdb.CompoundIndex }

func (x allocJobIndex) FromObject(obj any) (bool, []byte, error) {
	a, ok := obj.(*nomadlike.Allocation)
	if !ok {
		return x.CompoundIndex.FromObject(obj)
	}
	if a.Namespace == "" || a.JobID == "" {
		return false, nil, nil
	}
	return true, nulKey(a.Namespace, a.JobID, len(a.ID)+1), nil
}

// nulKey returns a's bytes and a NUL, then b's and a NUL when b is not
// empty, in a slice with room for extra more bytes.
func nulKey(a, b string, extra int) []byte {
	n := len(a) + 1
	if b != "" {
		n += len(b) + 1
	}
	k := make([]byte, 0, n+extra)
	k = append(k, a...)
	k = append(k, 0)
	if b != "" {
		k = append(k, b...)
		k = append(k, 0)
	}
	return k
}
