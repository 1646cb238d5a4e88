package state

import (
	"fmt"
	"sort"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Dynamic host volumes (issue #17): nomadlike.HostVolume by ID, by
// (Namespace, Name) and by NodeID. A ready volume is also one of its
// node's Node.HostVolumes (with ID set), kept here in the same
// transaction, so that the scheduler sees it as soon as it is ready.

// TableHostVolumes holds the dynamic host volumes.
const TableHostVolumes = "host_volumes"

const indexName = "name"

func hostVolumesTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableHostVolumes,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:   {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexName: {Name: indexName, Indexer: nsIDIndex("Name")},
			indexNode: {Name: indexNode, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
		},
	}
}

// HostVolumeByID returns the volume or nil.
func (r *Reader) HostVolumeByID(ws memdb.WatchSet, id string) (*nomadlike.HostVolume, error) {
	return first[nomadlike.HostVolume](r.txn(ws), ws, TableHostVolumes, indexID, id)
}

// HostVolumes returns the volumes of namespace ns (AllNamespaces: every
// one) whose ID starts with prefix, ordered by ID.
func (r *Reader) HostVolumes(ws memdb.WatchSet, ns, prefix string) ([]*nomadlike.HostVolume, error) {
	keep := func(v *nomadlike.HostVolume) bool { return ns == AllNamespaces || v.Namespace == ns }
	return list(r.txn(ws), ws, keep, TableHostVolumes, indexID+"_prefix", prefix)
}

// HostVolumesByName returns the volumes called name in namespace ns.
func (r *Reader) HostVolumesByName(ws memdb.WatchSet, ns, name string) ([]*nomadlike.HostVolume, error) {
	return list[nomadlike.HostVolume](r.txn(ws), ws, nil, TableHostVolumes, indexName, ns, name)
}

// HostVolumesByNode returns the volumes placed on node nodeID.
func (r *Reader) HostVolumesByNode(ws memdb.WatchSet, nodeID string) ([]*nomadlike.HostVolume, error) {
	return list[nomadlike.HostVolume](r.txn(ws), ws, nil, TableHostVolumes, indexNode, nodeID)
}

// UpsertHostVolume writes v at raft index; now is the entry's time (unix
// nanos). An update keeps CreateIndex and CreateTime. The node's
// HostVolumes gets the volume while it is ready and loses it otherwise.
func (s *StateStore) UpsertHostVolume(index uint64, v *nomadlike.HostVolume, now int64) error {
	if v == nil || v.ID == "" || v.NodeID == "" {
		return fmt.Errorf("upsert host volume: %w: a volume needs an ID and a node", nomadlike.ErrValidation)
	}
	return s.writeTxn(func(txn *memdb.Txn) error {
		nv := v.Copy()
		nv.Allocations = nil
		cur, err := first[nomadlike.HostVolume](txn, nil, TableHostVolumes, indexID, nv.ID)
		if err != nil {
			return err
		}
		nv.CreateIndex, nv.CreateTime = index, now
		if cur != nil {
			nv.CreateIndex, nv.CreateTime = cur.CreateIndex, cur.CreateTime
		}
		nv.ModifyIndex, nv.ModifyTime = index, now
		if err := txn.Insert(TableHostVolumes, nv); err != nil {
			return fmt.Errorf("upsert host volume %q: %w", nv.ID, err)
		}
		if err := syncNodeHostVolume(txn, index, nv, nv.State == nomadlike.HostVolumeStateReady); err != nil {
			return err
		}
		return bumpIndex(txn, TableHostVolumes, index)
	})
}

// DeleteHostVolume removes the volume id (a missing one is a no-op) and
// its node's entry.
func (s *StateStore) DeleteHostVolume(index uint64, id string) error {
	return s.writeTxn(func(txn *memdb.Txn) error {
		cur, err := first[nomadlike.HostVolume](txn, nil, TableHostVolumes, indexID, id)
		if err != nil || cur == nil {
			return err
		}
		if err := txn.Delete(TableHostVolumes, cur); err != nil {
			return fmt.Errorf("delete host volume %q: %w", id, err)
		}
		if err := syncNodeHostVolume(txn, index, cur, false); err != nil {
			return err
		}
		return bumpIndex(txn, TableHostVolumes, index)
	})
}

// syncNodeHostVolume adds the volume to its node's HostVolumes (present)
// or removes the node's entry carrying its ID. A missing node is left
// alone.
func syncNodeHostVolume(txn *memdb.Txn, index uint64, v *nomadlike.HostVolume, present bool) error {
	n, err := first[nomadlike.Node](txn, nil, TableNodes, indexID, v.NodeID)
	if err != nil || n == nil {
		return err
	}
	cur := n.HostVolumes[v.Name]
	switch {
	case present && cur != nil && cur.ID == v.ID && cur.Path == v.HostPath:
		return nil
	case present && cur != nil && cur.ID != v.ID:
		return nil // a static volume (or another) of that name: never shadowed
	case !present && (cur == nil || cur.ID != v.ID):
		return nil
	}
	c := n.Copy()
	if present {
		if c.HostVolumes == nil {
			c.HostVolumes = map[string]*nomadlike.ClientHostVolumeConfig{}
		}
		c.HostVolumes[v.Name] = &nomadlike.ClientHostVolumeConfig{Name: v.Name, Path: v.HostPath, ID: v.ID}
	} else {
		delete(c.HostVolumes, v.Name)
	}
	return putNode(txn, index, c)
}

// HostVolumeClaims returns the allocations on the volume's node that claim
// it (nomadlike.Allocation.ClaimsHostVolume), as list stubs ordered by ID.
func (r *Reader) HostVolumeClaims(ws memdb.WatchSet, v *nomadlike.HostVolume) ([]*nomadlike.AllocListStub, error) {
	allocs, err := r.AllocsByNode(ws, v.NodeID)
	if err != nil {
		return nil, err
	}
	var out []*nomadlike.AllocListStub
	for _, a := range allocs {
		if a.ClaimsHostVolume(v.Name) {
			out = append(out, a.Stub())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
