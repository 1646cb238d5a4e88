package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

// TestFormatPipeline: job status draws each group with its dependencies
// and its state; a job without depends_on gets no pipeline section.
func TestFormatPipeline(t *testing.T) {
	j := fixture.BatchJob(1)
	j.ID = "ci"
	base := j.TaskGroups[0]
	group := func(name string, deps ...*nomadlike.GroupDependency) *nomadlike.TaskGroup {
		tg := base.Copy()
		tg.Name, tg.DependsOn = name, deps
		return tg
	}
	j.TaskGroups = []*nomadlike.TaskGroup{
		group("build"),
		group("test", &nomadlike.GroupDependency{Group: "build"}),
		group("lint", &nomadlike.GroupDependency{Group: "build"}),
		group("package", &nomadlike.GroupDependency{Group: "test"}, &nomadlike.GroupDependency{Group: "lint"}),
	}
	j.Canonicalize()
	stub := func(group, client string, create uint64) *nomadlike.AllocListStub {
		return &nomadlike.AllocListStub{ID: group + "-id", Name: nomadlike.AllocName(j.ID, group, 0), TaskGroup: group,
			ClientStatus: client, DesiredStatus: nomadlike.AllocDesiredStatusRun, CreateIndex: create}
	}
	var b bytes.Buffer
	formatPipeline(&b, j, []*nomadlike.AllocListStub{
		stub("build", nomadlike.AllocClientStatusComplete, 10),
		stub("test", nomadlike.AllocClientStatusRunning, 11),
		stub("lint", nomadlike.AllocClientStatusFailed, 11),
	})
	out := b.String()
	for _, want := range []string{
		"Pipeline", "build       -                               succeeded",
		"test        build (success)                 running",
		"lint        build (success)                 failed",
		`package     test (success), lint (success)  skipped (dependency "lint" failed)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	formatPipeline(&b, fixture.BatchJob(1), nil)
	if b.Len() != 0 {
		t.Errorf("a job without depends_on printed %q", b.String())
	}
}

func TestFormatPlanStages(t *testing.T) {
	j := fixture.BatchJob(1)
	base := j.TaskGroups[0]
	group := func(name string, deps ...string) *nomadlike.TaskGroup {
		tg := base.Copy()
		tg.Name = name
		for _, d := range deps {
			tg.DependsOn = append(tg.DependsOn, &nomadlike.GroupDependency{Group: d, Condition: nomadlike.DependsSuccess})
		}
		return tg
	}
	j.TaskGroups = []*nomadlike.TaskGroup{group("build"), group("test", "build"), group("lint", "build"), group("package", "test", "lint")}
	var b bytes.Buffer
	formatPlanStages(&b, j)
	want := "- Pipeline: build, then test and lint, then package (each stage is placed when the one before it finished).\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	formatPlanStages(&b, fixture.BatchJob(1))
	if b.Len() != 0 {
		t.Errorf("a job without depends_on printed %q", b.String())
	}
}
