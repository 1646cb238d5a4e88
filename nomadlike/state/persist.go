package state

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// The dump format is JSON lines: a header line, then one record per stored
// object, table by table, ending with the index table. Objects are written
// as stored, indexes included, so a restore reproduces the store exactly.
//
// Version 2: an allocation whose job version is stored in the job_versions
// table (dumped before the allocations) is written without its Job and
// with a JobRef naming that version; version 1 wrote every allocation's
// Job in full (a million allocations of a thousand jobs wrote a million
// copies of the jobs). Version 1 dumps still restore; an older server
// refuses a version 2 dump with an error rather than restore allocations
// without jobs.
const (
	dumpFormat  = "nomadlike-state"
	dumpVersion = 2
)

// dumpVersions are the versions RestoreFrom reads.
var dumpVersions = map[int]bool{1: true, 2: true}

type dumpHeader struct {
	Format  string `json:"Format"`
	Version int    `json:"Version"`
}

type dumpRecord struct {
	Table  string          `json:"Table"`
	Object json.RawMessage `json:"Object"`
	// JobRef is the stored job version of an allocation dumped without
	// its Job (version 2).
	JobRef *dumpJobRef `json:"JobRef,omitempty"`
}

// dumpJobRef names a job version of the allocation's namespace and job ID.
type dumpJobRef struct {
	Version        uint64 `json:"Version"`
	JobModifyIndex uint64 `json:"JobModifyIndex"`
}

// WriteTo writes every object the reader sees, as of one point in time, to
// w and returns the number of bytes written (io.WriterTo). On a StateStore
// it dumps the latest state; on a Snapshot, the snapshot's.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	err := dump(r.db.Txn(false), cw)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func dump(txn *memdb.Txn, w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(dumpHeader{Format: dumpFormat, Version: dumpVersion}); err != nil {
		return fmt.Errorf("write state header: %w", err)
	}
	for _, table := range append(dataTables, TableIndex) {
		it, err := txn.Get(table, indexID)
		if err != nil {
			return fmt.Errorf("dump table %q: %w", table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			rec := dumpRecord{Table: table}
			if a, ok := raw.(*nomadlike.Allocation); ok {
				if raw, rec.JobRef, err = allocWithoutJob(txn, a); err != nil {
					return err
				}
			}
			if rec.Object, err = json.Marshal(raw); err != nil {
				return fmt.Errorf("encode object of table %q: %w", table, err)
			}
			if err := enc.Encode(rec); err != nil {
				return fmt.Errorf("write object of table %q: %w", table, err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// RestoreFrom reads a dump written by WriteTo into a new store. Malformed
// input fails with an error wrapping ErrCorruptSnapshot.
func RestoreFrom(r io.Reader) (*StateStore, error) {
	s, err := NewStateStore()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bufio.NewReader(r))
	var h dumpHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: read header: %v", ErrCorruptSnapshot, err)
	}
	if h.Format != dumpFormat || !dumpVersions[h.Version] {
		return nil, fmt.Errorf("%w: format %q version %d, want %q version 1 to %d",
			ErrCorruptSnapshot, h.Format, h.Version, dumpFormat, dumpVersion)
	}
	err = s.writeTxn(func(txn *memdb.Txn) error {
		in := s.newAllocInterner(txn)
		for n := 1; ; n++ {
			var rec dumpRecord
			if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
			}
			obj, err := decodeObject(rec)
			if err != nil {
				return fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
			}
			if a, ok := obj.(*nomadlike.Allocation); ok {
				// A dumped allocation names its stored job version or
				// carries its job: share it.
				if rec.JobRef != nil {
					a.Job, err = refJob(txn, a, rec.JobRef)
				} else {
					a.Job, err = in.restoredJob(a.Job)
				}
				if err != nil {
					return fmt.Errorf("%w: record %d: %v", ErrCorruptSnapshot, n, err)
				}
				if err := in.alloc(a); err != nil {
					return err
				}
			}
			if err := txn.Insert(rec.Table, obj); err != nil {
				return fmt.Errorf("%w: record %d: insert into %q: %v", ErrCorruptSnapshot, n, rec.Table, err)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("restore state: %w", err)
	}
	return s, nil
}

// allocWithoutJob returns what to dump of a: a copy without its Job and
// the reference to the stored job version when that version is stored,
// else a itself.
func allocWithoutJob(txn *memdb.Txn, a *nomadlike.Allocation) (any, *dumpJobRef, error) {
	j := a.Job
	if j == nil || j.ID != a.JobID || j.Namespace != a.Namespace {
		return a, nil, nil
	}
	v, err := first[nomadlike.Job](txn, nil, TableJobVersions, indexID, j.Namespace, j.ID, j.Version)
	if err != nil {
		return nil, nil, err
	}
	if v == nil || v.JobModifyIndex != j.JobModifyIndex {
		return a, nil, nil
	}
	cp := *a
	cp.Job = nil
	return &cp, &dumpJobRef{Version: j.Version, JobModifyIndex: j.JobModifyIndex}, nil
}

// refJob returns the restored job version ref names, for a.
func refJob(txn *memdb.Txn, a *nomadlike.Allocation, ref *dumpJobRef) (*nomadlike.Job, error) {
	v, err := first[nomadlike.Job](txn, nil, TableJobVersions, indexID, a.Namespace, a.JobID, ref.Version)
	if err != nil {
		return nil, err
	}
	if v == nil || v.JobModifyIndex != ref.JobModifyIndex {
		return nil, fmt.Errorf("allocation %q: job %q version %d (modify index %d) is not in the dump",
			a.ID, a.JobID, ref.Version, ref.JobModifyIndex)
	}
	return v, nil
}

func decodeObject(rec dumpRecord) (any, error) {
	var obj any
	switch rec.Table {
	case TableJobs, TableJobVersions:
		obj = new(nomadlike.Job)
	case TableJobSummary:
		obj = new(nomadlike.JobSummary)
	case TableEvals:
		obj = new(nomadlike.Evaluation)
	case TableAllocs:
		obj = new(nomadlike.Allocation)
	case TableNodes:
		obj = new(nomadlike.Node)
	case TablePeriodicLaunch:
		obj = new(nomadlike.PeriodicLaunch)
	case TableNamespaces: // namespaces (namespaces.go)
		obj = new(nomadlike.Namespace)
	case TableIndex:
		obj = new(IndexEntry)
	case TableACLPolicies: // ACL store
		obj = new(nomadlike.ACLPolicy)
	case TableACLTokens: // ACL store
		obj = new(nomadlike.ACLToken)
	case TableScalingEvents: // job scaling events (scaling.go)
		obj = new(nomadlike.JobScalingEvents)
	case TableVariables: // variables (variables.go): ciphertext only
		obj = new(nomadlike.VariableEncrypted)
	case TableRootKeys: // keyring (variables.go): wrapped keys only
		obj = new(nomadlike.WrappedRootKey)
	case TableServiceRegistrations: // service catalog (service_registrations.go)
		obj = new(nomadlike.ServiceRegistration)
	case TableDeployments: // deployments (deployments.go)
		obj = new(nomadlike.Deployment)
	case TableSchedulerConfig: // scheduler configuration (scheduler_config.go)
		obj = new(nomadlike.SchedulerConfiguration)
	case TableHostVolumes: // dynamic host volumes (host_volumes.go)
		obj = new(nomadlike.HostVolume)
	default:
		return nil, fmt.Errorf("unknown table %q", rec.Table)
	}
	if err := json.Unmarshal(rec.Object, obj); err != nil {
		return nil, fmt.Errorf("decode object of table %q: %w", rec.Table, err)
	}
	return obj, nil
}
