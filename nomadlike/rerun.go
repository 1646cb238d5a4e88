package nomadlike

import (
	"maps"
	"slices"
)

// JobRerun marks a version of a batch job registered by `job rerun`
// (nomadlike's; Nomad cannot run an unchanged batch job again). The new
// version differs from the one it reruns only by this field, so the store
// gives it a new version, and the reconciler runs again every index of the
// job, or with Indexes only those: a completed allocation of an older
// version keeps its index when Indexes is set and does not list it.
type JobRerun struct {
	// OfVersion is the version that was run again.
	OfVersion uint64 `json:"OfVersion"`
	// Indexes lists per task group the indexes to run again (`job rerun
	// -failed`: those whose latest attempt did not succeed); nil runs every
	// index.
	Indexes map[string][]int `json:"Indexes,omitempty"`
}

// Copy returns a deep copy (nil for nil).
func (r *JobRerun) Copy() *JobRerun {
	if r == nil {
		return nil
	}
	c := *r
	if r.Indexes != nil {
		c.Indexes = make(map[string][]int, len(r.Indexes))
		for k, v := range r.Indexes {
			c.Indexes[k] = slices.Clone(v)
		}
	}
	return &c
}

// KeepsCompleted reports whether a completed allocation of an older version
// of the job, of group and index, keeps its index under the rerun r: r
// lists indexes and not this one.
func (r *JobRerun) KeepsCompleted(group string, index int) bool {
	if r == nil || r.Indexes == nil {
		return false
	}
	return !slices.Contains(r.Indexes[group], index)
}

// RerunIndexes returns, per task group, the indexes of the shards whose
// result is not succeeded, sorted; empty when every shard succeeded.
func RerunIndexes(shards []Shard) map[string][]int {
	out := map[string][]int{}
	for _, s := range shards {
		if s.Result != OutcomeSucceeded {
			out[s.TaskGroup] = append(out[s.TaskGroup], s.Index)
		}
	}
	for _, k := range slices.Collect(maps.Keys(out)) {
		slices.Sort(out[k])
	}
	return out
}
