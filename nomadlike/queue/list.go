package queue

import (
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Entry is one job waiting in the queue, as GET /v1/queue lists it
// (nomadlike's extension; Nomad has no such endpoint).
type Entry struct {
	// Position is the 1-based place in the queue, over every namespace.
	Position  int    `json:"Position"`
	Namespace string `json:"Namespace"`
	JobID     string `json:"JobID"`
	ParentID  string `json:"ParentID,omitempty"`
	EvalID    string `json:"EvalID"`
	Priority  int    `json:"Priority"`
	// SubmitIndex is the job's JobModifyIndex: FIFO order within a priority.
	SubmitIndex uint64 `json:"SubmitIndex"`
	// Queued counts the allocations that wait, per task group.
	Queued map[string]int `json:"Queued"`
	// Reason says what the job waits for, e.g. `no node has 4096 MB free
	// memory (largest free: 2048 MB on node-7)`.
	Reason string `json:"Reason"`
	// Status is the job status line: `queued: 3rd of 12 at priority 50; ...`.
	Status string `json:"Status"`
}

// Listing is the whole queue in order. Total counts every waiting job, also
// those of namespaces the caller may not see (Entries may be filtered).
type Listing struct {
	Total   int     `json:"Total"`
	Entries []Entry `json:"Entries"`
}

// Build lists the waiting jobs: the newest blocked evaluation of each job
// among evals (other statuses are ignored), in queue order (Less), with the
// reason each waits computed against free (FreeByNode). job looks a job up
// (nil when gone: the entry is left out).
func Build(evals []*nomadlike.Evaluation, free []NodeFree, job func(ns, id string) *nomadlike.Job) Listing {
	newest := map[nomadlike.NamespacedID]*nomadlike.Evaluation{}
	for _, e := range evals {
		if e.Status != nomadlike.EvalStatusBlocked {
			continue
		}
		k := nomadlike.NamespacedID{Namespace: e.Namespace, ID: e.JobID}
		if old := newest[k]; old == nil || old.CreateIndex < e.CreateIndex {
			newest[k] = e
		}
	}
	waiting := make([]*nomadlike.Evaluation, 0, len(newest))
	jobs := map[*nomadlike.Evaluation]*nomadlike.Job{}
	for _, e := range newest {
		if j := job(e.Namespace, e.JobID); j != nil && !j.Stop {
			waiting = append(waiting, e)
			jobs[e] = j
		}
	}
	Sort(waiting)
	out := Listing{Total: len(waiting), Entries: make([]Entry, 0, len(waiting))}
	for i, e := range waiting {
		j := jobs[e]
		en := Entry{
			Position: i + 1, Namespace: e.Namespace, JobID: e.JobID, ParentID: j.ParentID, EvalID: e.ID,
			Priority: e.Priority, SubmitIndex: e.JobModifyIndex, Queued: queuedOf(e),
			Reason: reasonOf(e, j, free),
		}
		en.Status = Status(en.Position, out.Total, en.Priority, en.Reason)
		out.Entries = append(out.Entries, en)
	}
	return out
}

// queuedOf counts the allocations an evaluation could not place, per group.
func queuedOf(e *nomadlike.Evaluation) map[string]int {
	out := map[string]int{}
	for g, n := range e.QueuedAllocations {
		if n > 0 {
			out[g] = n
		}
	}
	if len(out) == 0 {
		for g, m := range e.FailedTGAllocs {
			out[g] = 1 + m.CoalescedFailures
		}
	}
	return out
}

// reasonOf phrases why the first (by name) group that failed to place waits.
func reasonOf(e *nomadlike.Evaluation, j *nomadlike.Job, free []NodeFree) string {
	groups := make([]string, 0, len(e.FailedTGAllocs))
	for g := range e.FailedTGAllocs {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		tg := j.LookupTaskGroup(g)
		if tg == nil {
			continue
		}
		if r := Reason(tg.ComparableResources(), free); r != "" {
			return r
		}
		if m := e.FailedTGAllocs[g]; m != nil && m.NodesEvaluated > 0 && m.NodesExhausted == 0 {
			return "no node meets the job's constraints"
		}
		return "capacity is free: waiting for its turn"
	}
	return ""
}

// Find returns the entry of the job, or nil.
func (l Listing) Find(ns, jobID string) *Entry {
	for i := range l.Entries {
		if l.Entries[i].Namespace == ns && l.Entries[i].JobID == jobID {
			return &l.Entries[i]
		}
	}
	return nil
}
