package nomadlike_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// pipelineJob is a batch job build -> (test, lint) -> package, one index
// each; lint's condition is cond.
func pipelineJob(cond string) *nomadlike.Job {
	j := fixture.BatchJob(1)
	base := j.TaskGroups[0]
	group := func(name string, deps ...*nomadlike.GroupDependency) *nomadlike.TaskGroup {
		tg := base.Copy()
		tg.Name, tg.DependsOn = name, deps
		return tg
	}
	dep := func(g, c string) *nomadlike.GroupDependency {
		return &nomadlike.GroupDependency{Group: g, Condition: c}
	}
	j.TaskGroups = []*nomadlike.TaskGroup{
		group("build"),
		group("test", dep("build", "")),
		group("lint", dep("build", cond)),
		group("package", dep("test", ""), dep("lint", "")),
	}
	j.Canonicalize()
	return j
}

func groupAlloc(j *nomadlike.Job, group, id string, create uint64, client string) *nomadlike.Allocation {
	a := fixture.Alloc(j, fixture.Node(), 0)
	a.TaskGroup, a.Name = group, nomadlike.AllocName(j.ID, group, 0)
	a.ID, a.CreateIndex, a.ClientStatus, a.DesiredStatus = id, create, client, nomadlike.AllocDesiredStatusRun
	return a
}

func TestPipelineStates(t *testing.T) {
	complete, failed, running := nomadlike.AllocClientStatusComplete, nomadlike.AllocClientStatusFailed, nomadlike.AllocClientStatusRunning
	type alloc struct{ group, client string }
	cases := []struct {
		name    string
		cond    string
		allocs  []alloc
		pending []string
		want    map[string]string // group -> "state: reason"
	}{
		{"nothing placed: build runs, the rest waits", "", nil, nil, map[string]string{
			"build": "running: ", "test": `waiting: waiting on "build"`, "lint": `waiting: waiting on "build"`,
			"package": `waiting: waiting on "lint", "test"`}},
		{"build succeeded: test and lint run", "", []alloc{{"build", complete}}, nil, map[string]string{
			"build": "succeeded: ", "test": "running: ", "lint": "running: ", "package": `waiting: waiting on "lint", "test"`}},
		{"build failed: everything after is skipped", "", []alloc{{"build", failed}}, nil, map[string]string{
			"build": "failed: ", "test": `skipped: dependency "build" failed`, "lint": `skipped: dependency "build" failed`,
			"package": `skipped: dependency "test" skipped`}},
		{"build failed but a reschedule is pending: still running", "", []alloc{{"build", failed}}, []string{"build"}, map[string]string{
			"build": "running: ", "test": `waiting: waiting on "build"`}},
		{"lint failed while test runs: package skipped at once", "", []alloc{{"build", complete}, {"test", running}, {"lint", failed}}, nil, map[string]string{
			"test": "running: ", "lint": "failed: ", "package": `skipped: dependency "lint" failed`}},
		{"all succeeded", "", []alloc{{"build", complete}, {"test", complete}, {"lint", complete}, {"package", complete}}, nil, map[string]string{
			"package": "succeeded: "}},
		{"failure condition met by a failed build", "failure", []alloc{{"build", failed}}, nil, map[string]string{
			"lint": "running: ", "test": `skipped: dependency "build" failed`}},
		{"failure condition unmet by a succeeded build", "failure", []alloc{{"build", complete}}, nil, map[string]string{
			"lint": `skipped: dependency "build" succeeded`}},
		{"complete condition met by either result", "complete", []alloc{{"build", failed}}, nil, map[string]string{
			"lint": "running: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := pipelineJob(tc.cond)
			var allocs []*nomadlike.Allocation
			for i, a := range tc.allocs {
				allocs = append(allocs, groupAlloc(j, a.group, a.group+"-a", uint64(10+i), a.client))
			}
			pending := map[string]bool{}
			for _, g := range tc.pending {
				pending[g] = true
			}
			got := map[string]string{}
			for _, g := range nomadlike.PipelineStates(j, allocs, pending) {
				got[g.Name] = g.State + ": " + g.Reason
			}
			for g, want := range tc.want {
				if got[g] != want {
					t.Errorf("group %s = %q, want %q", g, got[g], want)
				}
			}
		})
	}
}

// TestComputeOutcomeSkippedGroup: a group skipped by its dependency never
// ran, so its indexes count as failed and the job failed.
func TestComputeOutcomeSkippedGroup(t *testing.T) {
	j := pipelineJob("")
	allocs := []*nomadlike.Allocation{
		groupAlloc(j, "build", "b", 10, nomadlike.AllocClientStatusComplete),
		groupAlloc(j, "test", "t", 11, nomadlike.AllocClientStatusComplete),
		groupAlloc(j, "lint", "l", 11, nomadlike.AllocClientStatusFailed),
	}
	got := nomadlike.ComputeOutcome(j, allocs)
	want := nomadlike.JobOutcome{Status: nomadlike.OutcomeFailed, Total: 4, Succeeded: 2, Failed: 2}
	if got == nil || *got != want {
		t.Errorf("ComputeOutcome = %+v, want %+v", got, want)
	}
}

func TestValidateDependsOn(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *nomadlike.Job)
		want   []string
	}{
		{"valid pipeline", func(*nomadlike.Job) {}, nil},
		{"unknown group", func(j *nomadlike.Job) { j.TaskGroups[1].DependsOn[0].Group = "biuld" },
			[]string{`TaskGroups[test].DependsOn[0].Group: unknown group "biuld"`}},
		{"self dependency", func(j *nomadlike.Job) { j.TaskGroups[1].DependsOn[0].Group = "test" },
			[]string{`TaskGroups[test].DependsOn[0].Group: group "test" cannot depend on itself`}},
		{"bad condition", func(j *nomadlike.Job) { j.TaskGroups[2].DependsOn[0].Condition = "maybe" },
			[]string{`TaskGroups[lint].DependsOn[0].Condition: unknown condition "maybe"`}},
		{"cycle", func(j *nomadlike.Job) {
			j.TaskGroups[0].DependsOn = []*nomadlike.GroupDependency{{Group: "package", Condition: "success"}}
		}, []string{`TaskGroups[build].DependsOn[0].Group: depends_on cycle: "build" -> "package" -> "test" -> "build"`}},
		{"service job", func(j *nomadlike.Job) { j.Type = nomadlike.JobTypeService; j.TaskGroups[3].DependsOn = nil },
			[]string{"TaskGroups[test].DependsOn: depends_on is only allowed in batch jobs", "TaskGroups[lint].DependsOn: depends_on is only allowed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := pipelineJob("")
			tc.mutate(j)
			err := j.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			var ve *nomadlike.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			var got []string
			for _, e := range ve.Errors {
				if !strings.Contains(e.String(), "Reschedule") && !strings.Contains(e.String(), "Restart") {
					got = append(got, e.String())
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("errors %q, want %q", got, tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %d = %q, want prefix %q", i, got[i], w)
				}
			}
		})
	}
}

func TestPipelineStages(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *nomadlike.Job)
		want   string
	}{
		{"diamond", func(*nomadlike.Job) {}, "[[build] [test lint] [package]]"},
		{"no depends_on", func(j *nomadlike.Job) {
			for _, tg := range j.TaskGroups {
				tg.DependsOn = nil
			}
		}, "[]"},
		{"cycle", func(j *nomadlike.Job) {
			j.TaskGroups[0].DependsOn = []*nomadlike.GroupDependency{{Group: "package"}}
		}, "[]"},
		{"deepest dependency decides", func(j *nomadlike.Job) {
			j.TaskGroups[2].DependsOn = []*nomadlike.GroupDependency{{Group: "test"}}
		}, "[[build] [test] [lint] [package]]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := pipelineJob("")
			tc.mutate(j)
			if got := fmt.Sprint(nomadlike.PipelineStages(j)); got != tc.want {
				t.Errorf("PipelineStages = %s, want %s", got, tc.want)
			}
		})
	}
}
