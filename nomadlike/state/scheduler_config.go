package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// TableSchedulerConfig holds the one scheduler configuration
// (operator scheduler set-config); absent until first written.
const TableSchedulerConfig = "scheduler_config"

func schedulerConfigTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableSchedulerConfig,
		Indexes: map[string]*memdb.IndexSchema{
			// One row: every object indexes as true.
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.ConditionalIndex{
				Conditional: func(any) (bool, error) { return true, nil },
			}},
		},
	}
}

// SchedulerConfig returns the stored scheduler configuration, or nil when
// none was ever written (the defaults apply). The caller must not change it.
func (r *Reader) SchedulerConfig(ws memdb.WatchSet) (*nomadlike.SchedulerConfiguration, error) {
	return first[nomadlike.SchedulerConfiguration](r.txn(ws), ws, TableSchedulerConfig, indexID, true)
}

// SetSchedulerConfig stores cfg at raft index. With cas, it is written only
// when the stored ModifyIndex is casIndex (0: none stored yet); the result
// says whether it was written. An invalid cfg fails with its
// *nomadlike.ValidationError.
func (s *StateStore) SetSchedulerConfig(index uint64, cfg *nomadlike.SchedulerConfiguration, cas bool, casIndex uint64) (bool, error) {
	if err := cfg.Validate(); err != nil {
		return false, err
	}
	written := false
	err := s.writeTxn(func(txn *memdb.Txn) error {
		cur, err := first[nomadlike.SchedulerConfiguration](txn, nil, TableSchedulerConfig, indexID, true)
		if err != nil {
			return err
		}
		var curIndex uint64
		c := *cfg
		c.CreateIndex = index
		if cur != nil {
			curIndex, c.CreateIndex = cur.ModifyIndex, cur.CreateIndex
		}
		if cas && curIndex != casIndex {
			return nil
		}
		c.ModifyIndex = index
		if err := txn.Insert(TableSchedulerConfig, &c); err != nil {
			return err
		}
		written = true
		return bumpIndex(txn, TableSchedulerConfig, index)
	})
	return written, err
}
