package reconcile

import "github.com/nomadlike/nomadlike/nomadlike"

// gateDependents removes the new placements of every group whose depends_on
// is not met (waiting or skipped, see nomadlike.PipelineStates): such a
// group is not placed until each of its dependencies finished with its
// condition. A dependency with a reschedule decided in this result (placed
// now or delayed) has not finished. Replacements of allocations that
// already exist are kept: they ran once, so their dependencies were met.
func gateDependents(r *Result, in Input) {
	if in.Job == nil || !in.Job.HasDependencies() {
		return
	}
	pending := map[string]bool{}
	for _, p := range r.Place {
		pending[p.TaskGroup.Name] = true
	}
	for _, d := range r.Delayed {
		pending[d.Alloc.TaskGroup] = true
	}
	gated := map[string]bool{}
	for _, g := range nomadlike.PipelineStates(in.Job, in.Allocs, pending) {
		if g.State == nomadlike.GroupWaiting || g.State == nomadlike.GroupSkipped {
			gated[g.Name] = true
		}
	}
	if len(gated) == 0 {
		return
	}
	kept := r.Place[:0]
	for _, p := range r.Place {
		if p.Kind == KindNew && gated[p.TaskGroup.Name] {
			d := r.desired(p.TaskGroup.Name)
			d.Place--
			d.Ignore++
			continue
		}
		kept = append(kept, p)
	}
	r.Place = kept
}

// HoldNew removes every new placement of the result (the job as a whole
// waits: nomadlike's job-level depends_on or a parameterized parent's
// max_concurrent, decided by the scheduler). Replacements of allocations
// that already exist are kept: the job ran once, so it was admitted.
func HoldNew(r *Result) {
	kept := r.Place[:0]
	for _, p := range r.Place {
		if p.Kind == KindNew {
			d := r.desired(p.TaskGroup.Name)
			d.Place--
			d.Ignore++
			continue
		}
		kept = append(kept, p)
	}
	r.Place = kept
}
