package nomadlike

import "sort"

// Outcomes of a finished batch or sysbatch job and of each of its shards
// (nomadlike's own; Nomad has none: its finished jobs are all "dead").
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomeStopped   = "stopped"
	// OutcomeSkipped is the outcome of a job whose job-level depends_on
	// can no longer be met (nomadlike's, pipeline_jobs.go); Reason says why.
	OutcomeSkipped = "skipped"
	// OutcomeUnfinished is the result of a shard whose latest attempt has
	// not finished yet; a job's Outcome is never unfinished.
	OutcomeUnfinished = "unfinished"
)

// JobOutcome is the result of a finished batch or sysbatch job, decided per
// shard (a task group index; for sysbatch, a node) from its latest attempt:
// a shard that failed and then succeeded on reschedule succeeded. Status is
// failed when any shard failed, else stopped when any shard was stopped,
// else succeeded. It is nomadlike's field, added to Nomad's Job, JobSummary
// and JobListStub; the store sets it when the job's Status becomes dead and
// clears it when the job runs again.
type JobOutcome struct {
	Status    string `json:"Status"`
	Total     int    `json:"Total"`
	Succeeded int    `json:"Succeeded"`
	Failed    int    `json:"Failed"`
	Stopped   int    `json:"Stopped"`
	// Reason is set for a skipped job: `dependency job "build" failed`.
	Reason string `json:"Reason,omitempty"`
}

// Shard is one index of a task group (for sysbatch: one node) with its
// latest attempt and that attempt's result (an Outcome* constant). Latest is
// nil when no allocation was ever placed for the index.
type Shard struct {
	TaskGroup string
	Index     int
	NodeID    string
	Latest    *Allocation
	Attempts  int
	Result    string
}

// Shards returns the shards of job with their latest attempts among allocs
// (every allocation of the job, terminal ones and those of older versions
// included), sorted by group then index then node. For batch jobs the shards
// are the indexes 0..Count-1 of the job's groups; for sysbatch jobs, the
// allocations' nodes. Other job types have no shards.
func Shards(job *Job, allocs []*Allocation) []Shard {
	if job == nil || (job.Type != JobTypeBatch && job.Type != JobTypeSysBatch) {
		return nil
	}
	type key struct {
		group string
		index int
		node  string
	}
	latest := map[key]*Allocation{}
	count := map[key]int{}
	for _, a := range allocs {
		if a.Job != nil && job.CreateIndex != 0 && a.Job.CreateIndex != job.CreateIndex {
			continue // an earlier job with the same ID, purged
		}
		k := key{group: a.TaskGroup, index: a.Index()}
		if job.Type == JobTypeSysBatch {
			k.node = a.NodeID
		}
		count[k]++
		if cur := latest[k]; cur == nil || newerAttempt(a, cur) {
			latest[k] = a
		}
	}
	var out []Shard
	for _, tg := range job.TaskGroups {
		if job.Type == JobTypeSysBatch {
			for k, a := range latest {
				if k.group == tg.Name {
					out = append(out, Shard{TaskGroup: tg.Name, Index: k.index, NodeID: k.node, Latest: a, Attempts: count[k]})
				}
			}
			continue
		}
		for i := 0; i < tg.Count; i++ {
			k := key{group: tg.Name, index: i}
			out = append(out, Shard{TaskGroup: tg.Name, Index: i, Latest: latest[k], Attempts: count[k]})
		}
	}
	for i := range out {
		out[i].Result = AttemptResult(out[i].Latest, job.Stop)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.TaskGroup != b.TaskGroup {
			return a.TaskGroup < b.TaskGroup
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		return a.NodeID < b.NodeID
	})
	return out
}

// newerAttempt reports whether a is a later attempt than b: created at a
// later raft index (a replacement is always created after what it
// replaces), ties broken by ID so the choice is deterministic.
func newerAttempt(a, b *Allocation) bool {
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex > b.CreateIndex
	}
	return a.ID > b.ID
}

// AttemptResult is the result of one attempt, first match wins: none (nil)
// is stopped when the job was stopped, else failed (never placed); a failed
// client status is failed; an allocation the servers stopped or evicted is
// stopped (a task killed by a stop reports complete, which is not success);
// complete is succeeded; lost is failed (stopped when the job was stopped);
// anything else is unfinished, or stopped when the job was stopped.
func AttemptResult(a *Allocation, jobStopped bool) string {
	if a == nil {
		if jobStopped {
			return OutcomeStopped
		}
		return OutcomeFailed
	}
	switch {
	case a.ClientStatus == AllocClientStatusFailed:
		return OutcomeFailed
	case a.DesiredStatus == AllocDesiredStatusStop || a.DesiredStatus == AllocDesiredStatusEvict:
		return OutcomeStopped
	case a.ClientStatus == AllocClientStatusComplete:
		return OutcomeSucceeded
	case jobStopped:
		return OutcomeStopped
	case a.ClientStatus == AllocClientStatusLost:
		return OutcomeFailed
	}
	return OutcomeUnfinished
}

// ComputeOutcome is the outcome of job from its allocations (see Shards),
// or nil when the job is not a batch or sysbatch job, is a periodic or
// parameterized parent, or a shard has not finished.
func ComputeOutcome(job *Job, allocs []*Allocation) *JobOutcome {
	if job == nil || job.IsPeriodic() || job.IsParameterized() {
		return nil
	}
	shards := Shards(job, allocs)
	if shards == nil {
		return nil
	}
	o := &JobOutcome{Total: len(shards)}
	for _, s := range shards {
		switch s.Result {
		case OutcomeSucceeded:
			o.Succeeded++
		case OutcomeFailed:
			o.Failed++
		case OutcomeStopped:
			o.Stopped++
		default:
			return nil
		}
	}
	switch {
	case o.Failed > 0:
		o.Status = OutcomeFailed
	case o.Stopped > 0:
		o.Status = OutcomeStopped
	default:
		o.Status = OutcomeSucceeded
	}
	return o
}
