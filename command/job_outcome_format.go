package command

import (
	"io"
	"strconv"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// jobStatusText is job status's Status: Nomad's status, and for a finished
// batch job its outcome, "dead (failed: 3 of 50)".
func jobStatusText(status string, stop bool, o *nomadlike.JobOutcome) string {
	if o != nil && status == nomadlike.JobStatusDead && o.Status == nomadlike.OutcomeSkipped {
		return "dead: " + outcomeString(o) // nomadlike's job-level depends_on
	}
	if o != nil && status == nomadlike.JobStatusDead {
		return "dead (" + outcomeString(o) + ")"
	}
	return jobStatusString(status, stop)
}

// isBatchType reports whether allocations of a job type have an outcome.
func isBatchType(t string) bool { return t == nomadlike.JobTypeBatch || t == nomadlike.JobTypeSysBatch }

// latestAttempts returns the IDs of the allocations that are the latest
// attempt of their index (for sysbatch, of their index on their node), as
// nomadlike.Shards chooses them.
func latestAttempts(allocs []*nomadlike.AllocListStub) map[string]bool {
	type key struct{ group, name, node string }
	latest := map[key]*nomadlike.AllocListStub{}
	for _, a := range allocs {
		k := key{group: a.TaskGroup, name: a.Name}
		if a.JobType == nomadlike.JobTypeSysBatch {
			k.node = a.NodeID
		}
		cur := latest[k]
		if cur == nil || a.CreateIndex > cur.CreateIndex || (a.CreateIndex == cur.CreateIndex && a.ID > cur.ID) {
			latest[k] = a
		}
	}
	out := make(map[string]bool, len(latest))
	for _, a := range latest {
		out[a.ID] = true
	}
	return out
}

// formatBatchAllocTable is formatAllocTable for batch jobs: each
// allocation's index and whether it is the latest attempt of it (latest:
// latestAttempts of every allocation of the job, when allocs is a filtered
// list).
func formatBatchAllocTable(w io.Writer, allocs []*nomadlike.AllocListStub, latest map[string]bool, verbose bool) {
	now := time.Now()
	rows := make([][]string, 0, len(allocs))
	for _, a := range allocs {
		index := "-"
		if i := (&nomadlike.Allocation{Name: a.Name}).Index(); i >= 0 {
			index = strconv.Itoa(i)
		}
		attempt := "earlier"
		if latest[a.ID] {
			attempt = "latest"
		}
		rows = append(rows, []string{shortID(a.ID, verbose), shortID(a.NodeID, verbose), a.TaskGroup, index, attempt,
			strconv.FormatUint(a.JobVersion, 10), a.DesiredStatus, a.ClientStatus, formatAge(a.CreateTime, now), formatAge(a.ModifyTime, now)})
	}
	table(w, []string{"ID", "Node ID", "Task Group", "Index", "Attempt", "Version", "Desired", "Status", "Created", "Modified"}, rows)
}

// failedAllocs keeps the allocations whose client status is failed.
func failedAllocs(allocs []*nomadlike.AllocListStub) []*nomadlike.AllocListStub {
	var out []*nomadlike.AllocListStub
	for _, a := range allocs {
		if a.ClientStatus == nomadlike.AllocClientStatusFailed {
			out = append(out, a)
		}
	}
	return out
}

// reschedulePairs are alloc status's Previous Allocation, Next Allocation
// and Reschedule Attempts ("2/3": attempts made of the group's policy), as
// Nomad shows them, each only when it has a value.
func reschedulePairs(a *nomadlike.Allocation, verbose bool) [][2]string {
	var out [][2]string
	if a.PreviousAllocation != "" {
		out = append(out, [2]string{"Previous Allocation", shortID(a.PreviousAllocation, verbose)})
	}
	if a.NextAllocation != "" {
		out = append(out, [2]string{"Next Allocation", shortID(a.NextAllocation, verbose)})
	}
	if a.RescheduleTracker != nil && len(a.RescheduleTracker.Events) > 0 {
		n := strconv.Itoa(len(a.RescheduleTracker.Events))
		if a.Job != nil {
			if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil && tg.ReschedulePolicy != nil && !tg.ReschedulePolicy.Unlimited {
				n += "/" + strconv.Itoa(tg.ReschedulePolicy.Attempts)
			}
		}
		out = append(out, [2]string{"Reschedule Attempts", n})
	}
	return out
}
