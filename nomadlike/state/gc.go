package state

import (
	"fmt"
	"maps"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// GCJob names a job the garbage collector chose, with the JobModifyIndex
// it saw: a job registered again since is kept.
type GCJob struct {
	Namespace      string `json:"Namespace"`
	ID             string `json:"ID"`
	JobModifyIndex uint64 `json:"JobModifyIndex"`
}

// GCCounts is what one GCPurge or GCNodes deleted.
type GCCounts struct {
	Jobs, Evals, Allocs, Nodes int
}

// GCPurge deletes, in one transaction, the given jobs, evaluations and
// allocations, in that order, skipping (not failing on) objects that are gone
// or that are no longer collectable on this state: an allocation that is
// not client-terminal (unless its desired status is stop or evict and its
// node is down or gone), an evaluation that is not terminal, a job whose
// JobModifyIndex changed or that still has a live allocation or an open
// evaluation. The checks run on the state being written, so every server
// deletes the same objects whatever the leader saw.
func (s *StateStore) GCPurge(index uint64, jobs []GCJob, evalIDs, allocIDs []string) (GCCounts, error) {
	var n GCCounts
	err := s.writeTxn(func(txn *memdb.Txn) error {
		n = GCCounts{}
		js := jobSet{}
		for _, j := range jobs {
			ok, err := gcJobTxn(txn, index, j)
			if err != nil {
				return err
			}
			if ok {
				n.Jobs++
			}
		}
		for _, id := range allocIDs {
			ok, err := gcAllocTxn(s, txn, index, id, js)
			if err != nil {
				return err
			}
			if ok {
				n.Allocs++
			}
		}
		for _, id := range evalIDs {
			e, err := first[nomadlike.Evaluation](txn, nil, TableEvals, indexID, id)
			if err != nil {
				return err
			}
			if e == nil || !e.TerminalStatus() {
				continue
			}
			if err := txn.Delete(TableEvals, e); err != nil {
				return fmt.Errorf("delete eval %q: %w", id, err)
			}
			js.add(e.Namespace, e.JobID)
			n.Evals++
		}
		for t, changed := range map[string]bool{TableAllocs: n.Allocs > 0, TableEvals: n.Evals > 0} {
			if changed {
				if err := bumpIndex(txn, t, index); err != nil {
					return err
				}
			}
		}
		return refreshStatuses(txn, index, js)
	})
	return n, err
}

// gcAllocTxn deletes one allocation if it is collectable.
func gcAllocTxn(s *StateStore, txn *memdb.Txn, index uint64, id string, js jobSet) (bool, error) {
	a, err := first[nomadlike.Allocation](txn, nil, TableAllocs, indexID, id)
	if err != nil || a == nil {
		return false, err
	}
	if !a.ClientTerminalStatus() {
		if !a.TerminalStatus() {
			return false, nil
		}
		node, err := first[nomadlike.Node](txn, nil, TableNodes, indexID, a.NodeID)
		if err != nil {
			return false, err
		}
		if node != nil && !node.TerminalStatus() {
			return false, nil // stopped but the client has not said it is done
		}
	}
	if err := txn.Delete(TableAllocs, a); err != nil {
		return false, fmt.Errorf("delete alloc %q: %w", id, err)
	}
	if err := deleteServicesTxn(txn, index, indexAlloc, id); err != nil { // service catalog
		return false, err
	}
	s.allocNodes(a.NodeID, "")
	js.add(a.Namespace, a.JobID)
	return true, nil
}

// gcJobTxn deletes one job if it is unchanged and has nothing live.
func gcJobTxn(txn *memdb.Txn, index uint64, j GCJob) (bool, error) {
	job, err := first[nomadlike.Job](txn, nil, TableJobs, indexID, j.Namespace, j.ID)
	if err != nil || job == nil || job.JobModifyIndex != j.JobModifyIndex {
		return false, err
	}
	evals, err := all[nomadlike.Evaluation](txn, TableEvals, indexJob, j.Namespace, j.ID)
	if err != nil {
		return false, err
	}
	for _, e := range evals {
		if !e.TerminalStatus() {
			return false, nil
		}
	}
	allocs, err := all[nomadlike.Allocation](txn, TableAllocs, indexJob, j.Namespace, j.ID)
	if err != nil {
		return false, err
	}
	for _, a := range allocs {
		if !a.TerminalStatus() {
			return false, nil
		}
	}
	return true, deleteJobTxn(txn, index, job)
}

// GCNodes deletes the nodes that are still down and have no allocation
// that is not terminal; others are skipped.
func (s *StateStore) GCNodes(index uint64, ids []string) (int, error) {
	var n int
	err := s.writeTxn(func(txn *memdb.Txn) error {
		n = 0
		for _, id := range ids {
			node, err := first[nomadlike.Node](txn, nil, TableNodes, indexID, id)
			if err != nil {
				return err
			}
			if node == nil || !node.TerminalStatus() {
				continue
			}
			allocs, err := all[nomadlike.Allocation](txn, TableAllocs, indexNode, id)
			if err != nil {
				return err
			}
			live := false
			for _, a := range allocs {
				live = live || !a.TerminalStatus()
			}
			if live {
				continue
			}
			if err := txn.Delete(TableNodes, node); err != nil {
				return fmt.Errorf("delete node %q: %w", id, err)
			}
			n++
		}
		if n == 0 {
			return nil
		}
		return bumpIndex(txn, TableNodes, index)
	})
	return n, err
}

// all returns every object of table matching index and args.
func all[T any](txn *memdb.Txn, table, index string, args ...any) ([]*T, error) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s by %s: %w", table, index, err)
	}
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out, nil
}

// ReconcileSummaries rebuilds the allocation counts of every job summary
// from the job's stored allocations (Nomad's PUT
// /v1/system/reconcile/summaries): per task group, the allocations of
// this registration of the job by client status. Queued counts and the
// children summaries of periodic and parameterized parents are kept.
// Summaries that already match are not written. It returns how many
// changed.
func (s *StateStore) ReconcileSummaries(index uint64) (int, error) {
	var n int
	err := s.writeTxn(func(txn *memdb.Txn) error {
		n = 0
		jobs, err := all[nomadlike.Job](txn, TableJobs, indexID)
		if err != nil {
			return err
		}
		for _, job := range jobs {
			changed, err := reconcileSummaryTxn(txn, index, job)
			if err != nil {
				return err
			}
			if changed {
				n++
			}
		}
		return nil
	})
	return n, err
}

func reconcileSummaryTxn(txn *memdb.Txn, index uint64, job *nomadlike.Job) (bool, error) {
	cur, err := first[nomadlike.JobSummary](txn, nil, TableJobSummary, indexID, job.Namespace, job.ID)
	if err != nil || cur == nil {
		return false, err
	}
	sum := copySummary(cur)
	counted := map[string]nomadlike.TaskGroupSummary{}
	for _, tg := range job.TaskGroups {
		counted[tg.Name] = nomadlike.TaskGroupSummary{}
	}
	allocs, err := all[nomadlike.Allocation](txn, TableAllocs, indexJob, job.Namespace, job.ID)
	if err != nil {
		return false, err
	}
	for _, a := range allocs {
		if a.Job != nil && a.Job.CreateIndex != 0 && a.Job.CreateIndex != job.CreateIndex {
			continue // an earlier job with the same ID
		}
		tg := counted[a.TaskGroup]
		*countField(&tg, a.ClientStatus)++
		counted[a.TaskGroup] = tg
	}
	for name, tg := range counted {
		tg.Queued = cur.Summary[name].Queued
		counted[name] = tg
	}
	if maps.Equal(counted, cur.Summary) {
		return false, nil
	}
	sum.Summary = counted
	return true, putSummary(txn, index, sum)
}
