package state

import (
	"fmt"
	"maps"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Job summaries count a job's allocations per task group by client status
// (pending counts as Starting) plus the allocations the last evaluation
// could not place (Queued). They are history: garbage collecting an
// allocation does not change them.

// ensureSummary creates the job's summary, or adds the job's new task groups
// to it.
func ensureSummary(txn *memdb.Txn, index uint64, job *nomadlike.Job) error {
	cur, err := first[nomadlike.JobSummary](txn, nil, TableJobSummary, indexID, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	var sum *nomadlike.JobSummary
	if cur == nil {
		sum = &nomadlike.JobSummary{
			JobID: job.ID, Namespace: job.Namespace,
			Summary:     map[string]nomadlike.TaskGroupSummary{},
			CreateIndex: index,
		}
		if job.IsPeriodic() || job.IsParameterized() {
			sum.Children = &nomadlike.JobChildrenSummary{}
		}
	}
	for _, tg := range job.TaskGroups {
		if cur != nil {
			if _, ok := cur.Summary[tg.Name]; ok {
				continue
			}
			if sum == nil {
				sum = copySummary(cur)
			}
		}
		sum.Summary[tg.Name] = nomadlike.TaskGroupSummary{}
	}
	if sum == nil {
		return nil
	}
	return putSummary(txn, index, sum)
}

func copySummary(s *nomadlike.JobSummary) *nomadlike.JobSummary {
	c := *s
	c.Summary = maps.Clone(s.Summary)
	if c.Summary == nil {
		c.Summary = map[string]nomadlike.TaskGroupSummary{}
	}
	if s.Children != nil {
		ch := *s.Children
		c.Children = &ch
	}
	return &c
}

func putSummary(txn *memdb.Txn, index uint64, sum *nomadlike.JobSummary) error {
	sum.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, sum); err != nil {
		return fmt.Errorf("update summary of job %q: %w", sum.JobID, err)
	}
	return bumpIndex(txn, TableJobSummary, index)
}

// countField returns the counter of status in s.
func countField(s *nomadlike.TaskGroupSummary, clientStatus string) *int {
	switch clientStatus {
	case nomadlike.AllocClientStatusRunning:
		return &s.Running
	case nomadlike.AllocClientStatusComplete:
		return &s.Complete
	case nomadlike.AllocClientStatusFailed:
		return &s.Failed
	case nomadlike.AllocClientStatusLost:
		return &s.Lost
	case nomadlike.AllocClientStatusUnknown:
		return &s.Unknown
	default: // pending and empty
		return &s.Starting
	}
}

// summaryBatch accumulates the summary changes of one transaction's
// allocation writes, so a write of many allocations of a job reads, copies
// and stores the job's summary once instead of once per allocation. The
// result is the same as writing each change as it comes: flush stores, at
// the transaction's index, every summary that any change reached.
type summaryBatch struct {
	txn   *memdb.Txn
	index uint64
	// sums holds the transaction's working copy of each job's summary
	// (sum nil for a job without one); dirty lists those to store.
	sums  map[nomadlike.NamespacedID]*batchedSummary
	dirty []*nomadlike.JobSummary
	// last is the most recent lookup: a batch is mostly one job.
	lastKey nomadlike.NamespacedID
	last    *batchedSummary
}

type batchedSummary struct {
	sum   *nomadlike.JobSummary
	dirty bool
}

func newSummaryBatch(txn *memdb.Txn, index uint64) *summaryBatch {
	return &summaryBatch{txn: txn, index: index}
}

// summary returns the working copy of the job's summary, nil when the job
// has none.
func (b *summaryBatch) summary(ns, jobID string) (*batchedSummary, error) {
	if b.last != nil && b.lastKey.ID == jobID && b.lastKey.Namespace == ns {
		return b.last, nil
	}
	key := nomadlike.NamespacedID{Namespace: ns, ID: jobID}
	bs, ok := b.sums[key]
	if !ok {
		stored, err := first[nomadlike.JobSummary](b.txn, nil, TableJobSummary, indexID, ns, jobID)
		if err != nil {
			return nil, err
		}
		bs = &batchedSummary{}
		if stored != nil {
			bs.sum = copySummary(stored)
		}
		if b.sums == nil {
			b.sums = map[nomadlike.NamespacedID]*batchedSummary{}
		}
		b.sums[key] = bs
	}
	b.lastKey, b.last = key, bs
	return bs, nil
}

// alloc moves the allocation's count in its job summary from old's client
// status to cur's; old is nil for a new allocation, which also takes one
// from Queued. Allocations of jobs without a summary are not counted.
func (b *summaryBatch) alloc(old, cur *nomadlike.Allocation) error {
	if old != nil && old.ClientStatus == cur.ClientStatus {
		return nil
	}
	bs, err := b.summary(cur.Namespace, cur.JobID)
	if err != nil || bs.sum == nil {
		return err
	}
	sum := bs.sum
	tg := sum.Summary[cur.TaskGroup]
	if old == nil {
		if tg.Queued > 0 {
			tg.Queued--
		}
	} else if n := countField(&tg, old.ClientStatus); *n > 0 {
		*n--
	}
	*countField(&tg, cur.ClientStatus)++
	sum.Summary[cur.TaskGroup] = tg
	if !bs.dirty {
		bs.dirty = true
		b.dirty = append(b.dirty, sum)
	}
	return nil
}

// flush stores the summaries the batch changed. Call it before anything
// else in the transaction reads or writes summaries; the batch can go on
// being used after, and starts again from the stored summaries.
func (b *summaryBatch) flush() error {
	for _, sum := range b.dirty {
		if err := putSummary(b.txn, b.index, sum); err != nil {
			return err
		}
	}
	b.sums, b.dirty, b.last = nil, nil, nil
	return nil
}

// summarizeQueued sets the Queued counts of the evaluation's job from the
// evaluation's QueuedAllocations.
func summarizeQueued(txn *memdb.Txn, index uint64, eval *nomadlike.Evaluation) error {
	if eval.QueuedAllocations == nil || eval.JobID == "" {
		return nil
	}
	stored, err := first[nomadlike.JobSummary](txn, nil, TableJobSummary, indexID, eval.Namespace, eval.JobID)
	if err != nil || stored == nil {
		return err
	}
	sum := copySummary(stored)
	changed := false
	for name, n := range eval.QueuedAllocations {
		tg, ok := sum.Summary[name]
		if !ok || tg.Queued == n {
			continue
		}
		tg.Queued = n
		sum.Summary[name] = tg
		changed = true
	}
	if !changed {
		return nil
	}
	return putSummary(txn, index, sum)
}
