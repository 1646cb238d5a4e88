package command

import (
	"fmt"
	"io"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// formatPipeline writes the pipeline state of each group of a batch job with
// depends_on blocks (nomadlike only): waiting on X, running, succeeded,
// failed, stopped or skipped with the reason. Nothing for other jobs.
func formatPipeline(w io.Writer, job *nomadlike.Job, stubs []*nomadlike.AllocListStub) {
	if job.Type != nomadlike.JobTypeBatch || !job.HasDependencies() {
		return
	}
	fmt.Fprintln(w, "\nPipeline")
	rows := [][]string{}
	for _, g := range nomadlike.PipelineStates(job, stubAllocs(stubs), nil) {
		state := g.State
		switch g.State {
		case nomadlike.GroupWaiting:
			state = g.Reason
		case nomadlike.GroupSkipped:
			state = fmt.Sprintf("skipped (%s)", g.Reason)
		}
		rows = append(rows, []string{g.Name, dependsText(job.LookupTaskGroup(g.Name)), state})
	}
	table(w, []string{"Task Group", "Depends On", "State"}, rows)
}

// dependsText lists a group's dependencies, "build (success), lint (failure)".
func dependsText(tg *nomadlike.TaskGroup) string {
	if tg == nil || len(tg.DependsOn) == 0 {
		return "-"
	}
	s := ""
	for i, d := range tg.DependsOn {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s (%s)", d.Group, d.Condition)
	}
	return s
}

// skippedGroups maps each group of job that depends_on skipped to the reason.
func skippedGroups(job *nomadlike.Job, allocs []*nomadlike.Allocation) map[string]string {
	out := map[string]string{}
	for _, g := range nomadlike.PipelineStates(job, allocs, nil) {
		if g.State == nomadlike.GroupSkipped {
			out[g.Name] = g.Reason
		}
	}
	return out
}

// formatPlanStages writes, for a job with depends_on, the order its groups
// run in: "- Pipeline: build, then test and lint, then package". The
// dry-run places only the first stage; the others wait for it.
func formatPlanStages(w io.Writer, job *nomadlike.Job) {
	stages := nomadlike.PipelineStages(job)
	if len(stages) == 0 {
		return
	}
	parts := make([]string, len(stages))
	for i, st := range stages {
		switch n := len(st); n {
		case 1:
			parts[i] = st[0]
		default:
			parts[i] = strings.Join(st[:n-1], ", ") + " and " + st[n-1]
		}
	}
	fmt.Fprintf(w, "- Pipeline: %s (each stage is placed when the one before it finished).\n", strings.Join(parts, ", then "))
}
