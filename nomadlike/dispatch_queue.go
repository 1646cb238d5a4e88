package nomadlike

import "sort"

// EvalTriggerDispatchQueue is the trigger of the evaluation created for a
// dispatched child when a slot of its parent's max_concurrent frees.
const EvalTriggerDispatchQueue = "dispatch-queue"

// DispatchQueue is where the dispatched children of a parameterized job
// with max_concurrent stand (nomadlike's extension): the live children
// (not dead, not stopped) in dispatch order (CreateIndex, then ID); the
// first Limit of them may run, the rest wait. It is decided from the state
// store alone, so every server (and a new leader) sees the same line.
type DispatchQueue struct {
	Limit   int
	Live    []*Job // in dispatch order
	Running int    // live children within the limit
	Queued  int    // live children beyond it
}

// MaxConcurrent is the job's parameterized max_concurrent, 0 for none.
func (j *Job) MaxConcurrent() int {
	if j == nil || j.ParameterizedJob == nil {
		return 0
	}
	return j.ParameterizedJob.MaxConcurrent
}

// NewDispatchQueue builds the line of parent's children (every child of the
// parent, any status). It returns nil when parent has no max_concurrent.
func NewDispatchQueue(parent *Job, children []*Job) *DispatchQueue {
	limit := parent.MaxConcurrent()
	if limit <= 0 {
		return nil
	}
	q := &DispatchQueue{Limit: limit}
	for _, c := range children {
		if c != nil && c.InDispatchLine() {
			q.Live = append(q.Live, c)
		}
	}
	sort.Slice(q.Live, func(i, k int) bool { return dispatchedBefore(q.Live[i], q.Live[k]) })
	q.Running = min(len(q.Live), limit)
	q.Queued = len(q.Live) - q.Running
	return q
}

// Position is the 1-based place of the child in the line (0 when it is not
// live); Admitted reports whether it may run.
func (q *DispatchQueue) Position(childID string) int {
	for i, c := range q.Live {
		if c.ID == childID {
			return i + 1
		}
	}
	return 0
}

// Admitted reports whether the child may be placed: it is live and among
// the first Limit of the line. An admitted child stays admitted: the line
// only loses members ahead of it and gains them behind it.
func (q *DispatchQueue) Admitted(childID string) bool {
	p := q.Position(childID)
	return p > 0 && p <= q.Limit
}

// DispatchAdmitted is NewDispatchQueue(parent, children).Admitted(childID)
// without building the line (the scheduler's check, once per evaluation
// of a child): the child is live and fewer than max_concurrent live
// siblings were dispatched before it. A parent without max_concurrent
// admits every child.
func DispatchAdmitted(parent *Job, children []*Job, childID string) bool {
	limit := parent.MaxConcurrent()
	if limit <= 0 {
		return true
	}
	var child *Job
	for _, c := range children {
		if c != nil && c.ID == childID {
			child = c
			break
		}
	}
	if child == nil || !child.InDispatchLine() {
		return false
	}
	ahead := 0
	for _, c := range children {
		if c != nil && c != child && c.InDispatchLine() && dispatchedBefore(c, child) {
			ahead++
		}
	}
	return ahead < limit
}

// InDispatchLine reports whether the job stands in its parent's
// max_concurrent line: a dispatched child, neither stopped nor dead. The
// state store keeps an index of these per parent in dispatch order
// (state.Reader.DispatchLine), so the scheduler's check reads the line's
// head instead of every child.
func (j *Job) InDispatchLine() bool {
	return j.Dispatched && j.ParentID != "" && !j.Stop && j.Status != JobStatusDead
}

func dispatchedBefore(a, b *Job) bool {
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex < b.CreateIndex
	}
	return a.ID < b.ID
}
