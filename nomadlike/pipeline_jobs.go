package nomadlike

import (
	"fmt"
	"sort"
)

// JobDependency is one job-level depends_on block (nomadlike's extension):
// the job is placed only when job Job of the same namespace finished with
// Condition (DependsSuccess, DependsFailure or DependsComplete).
type JobDependency struct {
	Job       string `json:"Job"`
	Condition string `json:"Condition"`
}

// EvalTriggerJobDependency is the trigger of the evaluation created for a
// job whose job-level dependencies were all met.
const EvalTriggerJobDependency = "job-dependency"

// Where a job with job-level depends_on stands.
const (
	JobDepsWaiting = "waiting" // a dependency has not finished
	JobDepsMet     = "met"     // every dependency finished with its condition
	JobDepsFailed  = "skip"    // a dependency can no longer meet its condition
)

// JobDepsState is the verdict over a job's job-level depends_on. Reason
// says why it must be skipped (`dependency job "build" failed`); WaitingOn
// lists the unfinished dependencies.
type JobDepsState struct {
	State     string
	Reason    string
	WaitingOn []string
}

// JobLookup finds a job by namespace and ID (nil when there is none).
type JobLookup func(namespace, id string) *Job

// JobDependencies decides where job stands on its job-level depends_on,
// looking the dependencies up in job's namespace. A job is finished when
// its status is dead; its result is its Outcome (succeeded, failed, stopped
// or skipped; a dead job without one counts as stopped). A dependency that
// finished without its condition, or that does not exist (any more), makes
// the job skipped even if others are unfinished. A job without depends_on
// is met.
func JobDependencies(job *Job, lookup JobLookup) JobDepsState {
	out := JobDepsState{State: JobDepsMet}
	for _, d := range job.DependsOn {
		if d == nil {
			continue
		}
		dep := lookup(job.Namespace, d.Job)
		if dep == nil {
			return JobDepsState{State: JobDepsFailed, Reason: fmt.Sprintf("dependency job %q does not exist", d.Job)}
		}
		if dep.Status != JobStatusDead {
			out.State = JobDepsWaiting
			out.WaitingOn = append(out.WaitingOn, d.Job)
			continue
		}
		result := jobResult(dep)
		if !conditionMet(d.Condition, result) {
			return JobDepsState{State: JobDepsFailed, Reason: fmt.Sprintf("dependency job %q %s", d.Job, result)}
		}
	}
	return out
}

// jobResult maps a finished job's outcome onto the group states that
// conditionMet reads.
func jobResult(j *Job) string {
	if j.Outcome == nil {
		return GroupStopped
	}
	switch j.Outcome.Status {
	case OutcomeSucceeded:
		return GroupSucceeded
	case OutcomeFailed:
		return GroupFailed
	case OutcomeSkipped:
		return GroupSkipped
	}
	return GroupStopped
}

// DependsOnJob reports whether job has a job-level depends_on naming id.
func (j *Job) DependsOnJob(id string) bool {
	for _, d := range j.DependsOn {
		if d != nil && d.Job == id {
			return true
		}
	}
	return false
}

// validateJobDependsOn checks the job-level depends_on blocks: a job ID, not
// the job itself, a known condition. That the jobs exist and form no cycle
// is checked by the servers at registration (JobDependencyCycle).
func validateJobDependsOn(v validator, j *Job) {
	for k, d := range j.DependsOn {
		dv := v.item("DependsOn", fmt.Sprint(k))
		if d == nil {
			dv.fail("", "must not be null")
			continue
		}
		switch {
		case d.Job == "":
			dv.fail("Job", "missing job ID")
		case d.Job == j.ID:
			dv.fail("Job", "job %q cannot depend on itself", d.Job)
		}
		switch d.Condition {
		case DependsSuccess, DependsFailure, DependsComplete:
		default:
			dv.fail("Condition", "unknown condition %q (want success, failure or complete)", d.Condition)
		}
	}
}

// JobDependencyCycle returns a cycle of job-level dependencies that job
// (about to be registered) would close, as job IDs with the first repeated
// at the end, or nil. lookup sees the stored jobs; job replaces its stored
// version.
func JobDependencyCycle(job *Job, lookup JobLookup) []string {
	deps := func(id string) []string {
		j := job
		if id != job.ID {
			j = lookup(job.Namespace, id)
		}
		if j == nil {
			return nil
		}
		var out []string
		for _, d := range j.DependsOn {
			if d != nil {
				out = append(out, d.Job)
			}
		}
		sort.Strings(out)
		return out
	}
	// Depth-first from job: a path back to job is the cycle.
	seen := map[string]bool{}
	var path []string
	var walk func(id string) []string
	walk = func(id string) []string {
		path = append(path, id)
		defer func() { path = path[:len(path)-1] }()
		for _, next := range deps(id) {
			if next == job.ID {
				return append(append([]string(nil), path...), job.ID)
			}
			if seen[next] {
				continue
			}
			seen[next] = true
			if c := walk(next); c != nil {
				return c
			}
		}
		return nil
	}
	return walk(job.ID)
}

// CheckJobDependencies is the registration check of job's job-level
// depends_on against the stored jobs (lookup): every named job must exist
// in the job's namespace (a typo would otherwise leave the job waiting
// forever), and the job must not close a cycle. The error is a
// *ValidationError naming DependsOn[i].Job.
func CheckJobDependencies(job *Job, lookup JobLookup) error {
	v := newValidator()
	for k, d := range job.DependsOn {
		if d != nil && d.Job != job.ID && lookup(job.Namespace, d.Job) == nil {
			v.item("DependsOn", fmt.Sprint(k)).fail("Job", "job %q does not exist in namespace %q (register it first)", d.Job, job.Namespace)
		}
	}
	if cycle := JobDependencyCycle(job, lookup); cycle != nil {
		for k, d := range job.DependsOn {
			if d != nil && d.Job == cycle[1] {
				v.item("DependsOn", fmt.Sprint(k)).fail("Job", "depends_on cycle: %s", joinArrow(cycle))
				break
			}
		}
	}
	return v.err()
}
