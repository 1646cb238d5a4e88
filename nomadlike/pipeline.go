package nomadlike

import (
	"fmt"
	"sort"
)

// Conditions of a group dependency (nomadlike's extension of Nomad's job
// specification: the group block's depends_on).
const (
	DependsSuccess  = "success"  // every index of the group succeeded (the default)
	DependsFailure  = "failure"  // the group finished and an index failed
	DependsComplete = "complete" // the group finished, whatever its result (skipped too)
)

// EvalTriggerGroupDependency is the trigger of the evaluation created when
// an allocation of a group that other groups depend on finishes.
const EvalTriggerGroupDependency = "group-dependency"

// GroupDependency is one depends_on block of a task group: the group is
// placed only when Group finished with Condition.
type GroupDependency struct {
	Group     string `json:"Group"`
	Condition string `json:"Condition"`
}

// Pipeline states of a task group of a batch job.
const (
	GroupWaiting   = "waiting"   // a dependency has not finished yet
	GroupRunning   = "running"   // placed or to be placed, not finished
	GroupSucceeded = "succeeded" // every index succeeded
	GroupFailed    = "failed"    // finished, an index failed
	GroupStopped   = "stopped"   // finished, an index was stopped, none failed
	GroupSkipped   = "skipped"   // a dependency finished without its condition: never runs
)

// GroupState is where one task group stands in its job's pipeline. Reason
// says why a group waits or was skipped, e.g. `dependency "build" failed`.
type GroupState struct {
	Name      string
	State     string
	Reason    string
	WaitingOn []string
}

// Finished reports whether the group's state is final.
func (g GroupState) Finished() bool {
	return g.State != GroupWaiting && g.State != GroupRunning
}

// HasDependencies reports whether any group of the job has a depends_on.
func (j *Job) HasDependencies() bool {
	for _, tg := range j.TaskGroups {
		if len(tg.DependsOn) > 0 {
			return true
		}
	}
	return false
}

// HasDependents reports whether another group of the job depends on group.
func (j *Job) HasDependents(group string) bool {
	for _, tg := range j.TaskGroups {
		for _, d := range tg.DependsOn {
			if d.Group == group {
				return true
			}
		}
	}
	return false
}

// conditionMet reports whether a finished dependency state meets cond.
func conditionMet(cond, state string) bool {
	switch cond {
	case DependsFailure:
		return state == GroupFailed
	case DependsComplete:
		return true
	default:
		return state == GroupSucceeded
	}
}

// PipelineStates returns the pipeline state of every task group of a batch
// job, in the job's group order, decided from allocs (every allocation of
// the job) by each index's latest attempt (see Shards). pending names the
// groups that still have work decided but not yet written (a reschedule the
// reconciler is placing or has delayed): they are running, not finished. A
// group depending on one that is not finished waits; once a dependency
// finished without its condition the group is skipped (even if other
// dependencies are unfinished), and so are the groups depending on it unless
// their condition is complete. A group in a dependency cycle (rejected by
// validation) is skipped. Jobs of other types get nil.
func PipelineStates(job *Job, allocs []*Allocation, pending map[string]bool) []GroupState {
	if job == nil || job.Type != JobTypeBatch {
		return nil
	}
	results := map[string][]string{}
	for _, s := range Shards(job, allocs) {
		r := s.Result
		if s.Latest == nil && !job.Stop {
			r = OutcomeUnfinished // not placed yet
		}
		results[s.TaskGroup] = append(results[s.TaskGroup], r)
	}
	p := pipeline{job: job, results: results, pending: pending, done: map[string]GroupState{}, visiting: map[string]bool{}}
	out := make([]GroupState, 0, len(job.TaskGroups))
	for _, tg := range job.TaskGroups {
		out = append(out, p.state(tg))
	}
	return out
}

type pipeline struct {
	job      *Job
	results  map[string][]string
	pending  map[string]bool
	done     map[string]GroupState
	visiting map[string]bool
}

func (p *pipeline) state(tg *TaskGroup) GroupState {
	if g, ok := p.done[tg.Name]; ok {
		return g
	}
	if p.visiting[tg.Name] {
		return GroupState{Name: tg.Name, State: GroupSkipped, Reason: "dependency cycle"}
	}
	p.visiting[tg.Name] = true
	g := p.decide(tg)
	delete(p.visiting, tg.Name)
	p.done[tg.Name] = g
	return g
}

func (p *pipeline) decide(tg *TaskGroup) GroupState {
	g := GroupState{Name: tg.Name}
	for _, d := range tg.DependsOn {
		dep := p.job.LookupTaskGroup(d.Group)
		if dep == nil {
			g.State, g.Reason = GroupSkipped, fmt.Sprintf("dependency %q does not exist", d.Group)
			return g
		}
		ds := p.state(dep)
		switch {
		case !ds.Finished():
			g.WaitingOn = append(g.WaitingOn, d.Group)
		case !conditionMet(d.Condition, ds.State):
			g.State, g.Reason, g.WaitingOn = GroupSkipped, fmt.Sprintf("dependency %q %s", d.Group, ds.State), nil
			return g
		}
	}
	if len(g.WaitingOn) > 0 {
		sort.Strings(g.WaitingOn)
		g.State = GroupWaiting
		g.Reason = "waiting on " + quoteList(g.WaitingOn)
		return g
	}
	g.State = p.own(tg.Name)
	return g
}

// own is the state of a group whose dependencies are met, from its shards.
func (p *pipeline) own(name string) string {
	if p.pending[name] {
		return GroupRunning
	}
	failed, stopped := false, false
	for _, r := range p.results[name] {
		switch r {
		case OutcomeUnfinished:
			return GroupRunning
		case OutcomeFailed:
			failed = true
		case OutcomeStopped:
			stopped = true
		}
	}
	switch {
	case failed:
		return GroupFailed
	case stopped:
		return GroupStopped
	}
	return GroupSucceeded
}

// PipelineStages groups the task groups of a job with depends_on into the
// order they run in: stage 0 holds the groups without dependencies, stage n
// the groups whose deepest dependency is in stage n-1; within a stage, the
// job's group order. Nil for a job without depends_on or with a cycle.
func PipelineStages(job *Job) [][]string {
	if job == nil || !job.HasDependencies() || dependencyCycle(job) != nil {
		return nil
	}
	level := map[string]int{}
	var depth func(tg *TaskGroup) int
	depth = func(tg *TaskGroup) int {
		if l, ok := level[tg.Name]; ok {
			return l
		}
		l := 0
		for _, d := range tg.DependsOn {
			if dep := job.LookupTaskGroup(d.Group); dep != nil && dep != tg {
				l = max(l, depth(dep)+1)
			}
		}
		level[tg.Name] = l
		return l
	}
	var out [][]string
	for _, tg := range job.TaskGroups {
		l := depth(tg)
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], tg.Name)
	}
	return out
}

func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}

// validateDependsOn checks the depends_on blocks of every group: known
// group names, no self-dependency, known conditions, no cycles, batch jobs
// only.
func validateDependsOn(v validator, j *Job) {
	byName := map[string]*TaskGroup{}
	for _, tg := range j.TaskGroups {
		if tg != nil {
			byName[tg.Name] = tg
		}
	}
	for i, tg := range j.TaskGroups {
		if tg == nil || len(tg.DependsOn) == 0 {
			continue
		}
		gv := v.item("TaskGroups", pathKey(tg.Name, i))
		if j.Type != JobTypeBatch {
			gv.fail("DependsOn", "depends_on is only allowed in batch jobs, not %q", j.Type)
			continue
		}
		for k, d := range tg.DependsOn {
			dv := gv.item("DependsOn", fmt.Sprint(k))
			if d == nil {
				dv.fail("", "must not be null")
				continue
			}
			switch {
			case d.Group == "":
				dv.fail("Group", "missing group name")
			case d.Group == tg.Name:
				dv.fail("Group", "group %q cannot depend on itself", d.Group)
			case byName[d.Group] == nil:
				dv.fail("Group", "unknown group %q", d.Group)
			}
			switch d.Condition {
			case DependsSuccess, DependsFailure, DependsComplete:
			default:
				dv.fail("Condition", "unknown condition %q (want success, failure or complete)", d.Condition)
			}
		}
	}
	if j.Type != JobTypeBatch {
		return
	}
	if cycle := dependencyCycle(j); cycle != nil {
		// Located at the first block of the cycle: its depends_on naming
		// the next group.
		for i, tg := range j.TaskGroups {
			if tg == nil || tg.Name != cycle[0] {
				continue
			}
			for k, d := range tg.DependsOn {
				if d != nil && d.Group == cycle[1] {
					v.item("TaskGroups", pathKey(tg.Name, i)).item("DependsOn", fmt.Sprint(k)).
						fail("Group", "depends_on cycle: %s", joinArrow(cycle))
					return
				}
			}
		}
	}
}

// dependencyCycle returns one cycle among the job's group dependencies
// (first group repeated at the end), or nil.
func dependencyCycle(j *Job) []string {
	const (
		unseen = iota
		active
		closed
	)
	mark := map[string]int{}
	var stack []string
	var visit func(name string) []string
	visit = func(name string) []string {
		tg := j.LookupTaskGroup(name)
		if tg == nil || mark[name] == closed {
			return nil
		}
		if mark[name] == active {
			for i, n := range stack {
				if n == name {
					return append(append([]string{}, stack[i:]...), name)
				}
			}
		}
		mark[name] = active
		stack = append(stack, name)
		for _, d := range tg.DependsOn {
			if d == nil || d.Group == name {
				continue
			}
			if c := visit(d.Group); c != nil {
				return c
			}
		}
		stack = stack[:len(stack)-1]
		mark[name] = closed
		return nil
	}
	for _, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		if c := visit(tg.Name); c != nil {
			return c
		}
	}
	return nil
}

func joinArrow(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += " -> "
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}
