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
const (
	dumpFormat  = "nomadlike-state"
	dumpVersion = 1
)

type dumpHeader struct {
	Format  string `json:"Format"`
	Version int    `json:"Version"`
}

type dumpRecord struct {
	Table  string          `json:"Table"`
	Object json.RawMessage `json:"Object"`
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
			obj, err := json.Marshal(raw)
			if err != nil {
				return fmt.Errorf("encode object of table %q: %w", table, err)
			}
			if err := enc.Encode(dumpRecord{Table: table, Object: obj}); err != nil {
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
	if h.Format != dumpFormat || h.Version != dumpVersion {
		return nil, fmt.Errorf("%w: format %q version %d, want %q version %d",
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
				// Each dumped allocation carries its job: share it.
				if a.Job, err = in.restoredJob(a.Job); err != nil {
					return err
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
