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

// summarizeAlloc moves the allocation's count in its job summary from old's
// client status to cur's; old is nil for a new allocation, which also takes
// one from Queued. Allocations of jobs without a summary are not counted.
func summarizeAlloc(txn *memdb.Txn, index uint64, old, cur *nomadlike.Allocation) error {
	if old != nil && old.ClientStatus == cur.ClientStatus {
		return nil
	}
	stored, err := first[nomadlike.JobSummary](txn, nil, TableJobSummary, indexID, cur.Namespace, cur.JobID)
	if err != nil || stored == nil {
		return err
	}
	sum := copySummary(stored)
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
	return putSummary(txn, index, sum)
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
