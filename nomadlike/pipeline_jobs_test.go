package nomadlike

import (
	"fmt"
	"strings"
	"testing"
)

func depJobs(jobs ...*Job) JobLookup {
	m := map[string]*Job{}
	for _, j := range jobs {
		m[j.ID] = j
	}
	return func(_, id string) *Job { return m[id] }
}

func finished(id, outcome string) *Job {
	j := &Job{ID: id, Namespace: DefaultNamespace, Status: JobStatusDead}
	if outcome != "" {
		j.Outcome = &JobOutcome{Status: outcome}
	}
	return j
}

func TestJobDependencies(t *testing.T) {
	running := &Job{ID: "build", Namespace: DefaultNamespace, Status: JobStatusRunning}
	cases := []struct {
		name   string
		cond   string
		dep    *Job
		state  string
		reason string
	}{
		{"running waits", DependsSuccess, running, JobDepsWaiting, ""},
		{"succeeded meets success", DependsSuccess, finished("build", OutcomeSucceeded), JobDepsMet, ""},
		{"failed skips success", DependsSuccess, finished("build", OutcomeFailed), JobDepsFailed, `dependency job "build" failed`},
		{"failed meets failure", DependsFailure, finished("build", OutcomeFailed), JobDepsMet, ""},
		{"succeeded skips failure", DependsFailure, finished("build", OutcomeSucceeded), JobDepsFailed, `dependency job "build" succeeded`},
		{"skipped meets complete", DependsComplete, finished("build", OutcomeSkipped), JobDepsMet, ""},
		{"skipped skips success", DependsSuccess, finished("build", OutcomeSkipped), JobDepsFailed, `dependency job "build" skipped`},
		{"dead without outcome is stopped", DependsSuccess, finished("build", ""), JobDepsFailed, `dependency job "build" stopped`},
		{"gone", DependsSuccess, nil, JobDepsFailed, `dependency job "build" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := &Job{ID: "deploy", Namespace: DefaultNamespace, DependsOn: []*JobDependency{{Job: "build", Condition: tc.cond}}}
			var got JobDepsState
			if tc.dep == nil {
				got = JobDependencies(job, depJobs())
			} else {
				got = JobDependencies(job, depJobs(tc.dep))
			}
			if got.State != tc.state || got.Reason != tc.reason {
				t.Fatalf("JobDependencies = %+v, want %s %q", got, tc.state, tc.reason)
			}
		})
	}
}

func TestJobDependencyCycle(t *testing.T) {
	a := &Job{ID: "a", Namespace: DefaultNamespace, DependsOn: []*JobDependency{{Job: "b"}}}
	b := &Job{ID: "b", Namespace: DefaultNamespace, DependsOn: []*JobDependency{{Job: "c"}}}
	c := &Job{ID: "c", Namespace: DefaultNamespace}
	if cy := JobDependencyCycle(a, depJobs(a, b, c)); cy != nil {
		t.Fatalf("no cycle expected, got %v", cy)
	}
	c2 := &Job{ID: "c", Namespace: DefaultNamespace, DependsOn: []*JobDependency{{Job: "a"}}}
	if cy := JobDependencyCycle(c2, depJobs(a, b, c)); strings.Join(cy, ",") != "c,a,b,c" {
		t.Fatalf("cycle = %v, want c,a,b,c", cy)
	}
	err := CheckJobDependencies(c2, depJobs(a, b, c))
	if err == nil || !strings.Contains(err.Error(), `DependsOn[0].Job: depends_on cycle: "c" -> "a" -> "b" -> "c"`) {
		t.Fatalf("CheckJobDependencies = %v", err)
	}
}

// TestDispatchQueue: the first max_concurrent live children (dispatch
// order) are admitted; dead and stopped ones leave the line.
func TestDispatchQueue(t *testing.T) {
	parent := &Job{ID: "p", ParameterizedJob: &ParameterizedJobConfig{MaxConcurrent: 2}}
	kid := func(i int, status string, stop bool) *Job {
		return &Job{ID: fmt.Sprintf("p/d-%d", i), ParentID: "p", Dispatched: true, CreateIndex: uint64(10 - i), Status: status, Stop: stop}
	}
	kids := []*Job{kid(0, JobStatusPending, false), kid(1, JobStatusDead, false), kid(2, JobStatusRunning, false), kid(3, JobStatusPending, true), kid(4, JobStatusPending, false)}
	q := NewDispatchQueue(parent, kids)
	// Dispatch order by CreateIndex: d-4 (6), d-2 (8), d-0 (10).
	if q.Running != 2 || q.Queued != 1 || !q.Admitted("p/d-4") || !q.Admitted("p/d-2") || q.Admitted("p/d-0") || q.Admitted("p/d-1") {
		t.Fatalf("queue = %+v", q)
	}
	for _, k := range kids {
		if got, want := DispatchAdmitted(parent, kids, k.ID), q.Admitted(k.ID); got != want {
			t.Errorf("DispatchAdmitted(%s) = %v, the line says %v", k.ID, got, want)
		}
	}
	if NewDispatchQueue(&Job{ParameterizedJob: &ParameterizedJobConfig{}}, kids) != nil {
		t.Fatal("no max_concurrent must give no queue")
	}
}

// BenchmarkJobDependencies is the scheduler's job-level depends_on check
// of a job with three dependencies (lookups not included).
func BenchmarkJobDependencies(b *testing.B) {
	lookup := depJobs(finished("a", OutcomeSucceeded), finished("b", OutcomeSucceeded), finished("c", OutcomeSucceeded))
	job := &Job{ID: "deploy", Namespace: DefaultNamespace, DependsOn: []*JobDependency{{Job: "a"}, {Job: "b"}, {Job: "c"}}}
	for b.Loop() {
		if JobDependencies(job, lookup).State != JobDepsMet {
			b.Fatal("not met")
		}
	}
}

// BenchmarkDispatchAdmitted is the scheduler's max_concurrent check of one
// child among 1,000 live siblings (reading them from the store not
// included).
func BenchmarkDispatchAdmitted(b *testing.B) {
	parent := &Job{ID: "p", ParameterizedJob: &ParameterizedJobConfig{MaxConcurrent: 10}}
	var kids []*Job
	for i := range 1000 {
		kids = append(kids, &Job{ID: fmt.Sprintf("p/d-%04d", i), ParentID: "p", Dispatched: true, CreateIndex: uint64(i), Status: JobStatusPending})
	}
	for b.Loop() {
		if !DispatchAdmitted(parent, kids, "p/d-0005") {
			b.Fatal("not admitted")
		}
	}
}
