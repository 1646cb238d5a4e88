package command

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/api"
)

// Exit codes of `job plan`, as Nomad's.
const (
	planNoChange = 0
	planChanges  = 1
	planError    = 255
)

func jobPlanCommand() *cli.Command {
	flags := append(jobFileFlags(),
		addressFlag(),
		&cli.BoolFlag{Name: "diff", Value: true, Usage: "show the difference to the registered job"},
		verboseFlag(),
	)
	return &cli.Command{
		Name:      "plan",
		Usage:     "Dry-run the scheduler on a job file",
		ArgsUsage: "FILE",
		Description: "Shows what registering the job would change and whether every allocation\n" +
			"could be placed. Exit 0: no allocations created or destroyed; 1: allocations\n" +
			"would be created or destroyed; 255: error.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			err := jobPlan(c)
			if err == nil {
				return nil
			}
			var ee *exitError
			if asExit(err, &ee) {
				return err
			}
			return withCode(planError, err)
		},
	}
}

func asExit(err error, target **exitError) bool {
	e, ok := err.(*exitError)
	if ok {
		*target = e
	}
	return ok
}

func jobPlan(c *cli.Context) error {
	path, err := jobFileArg(c)
	if err != nil {
		return withCode(planError, err)
	}
	job, err := loadJobFile(c, path)
	if err != nil {
		return withCode(planError, err)
	}
	client, err := apiClient(c)
	if err != nil {
		return withCode(planError, err)
	}
	applyJobNamespace(c, client, job) // namespaces (namespace_flag.go)
	resp, _, err := client.Jobs().Plan(cmdContext(c), job, c.Bool("diff"), nil)
	if err != nil {
		placeConfigProblems(c, err) // driver config schemas (#20)
		return withCode(planError, agentError(c, fmt.Sprintf("plan job %q", job.ID), err))
	}
	w := c.App.Writer
	if resp.Diff != nil && c.Bool("diff") {
		formatJobDiff(w, resp.Diff, resp.Annotations, c.Bool("verbose"))
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Scheduler dry-run:")
	if len(resp.FailedTGAllocs) == 0 {
		fmt.Fprintln(w, "- All tasks successfully allocated.")
	} else {
		fmt.Fprintln(w, "- WARNING: Failed to place all allocations.")
		formatFailedTGAllocs(w, resp.FailedTGAllocs, "  ")
	}
	formatPlanStages(w, job) // nomadlike's depends_on (job_status_pipeline.go)
	if warnings := serverWarnings(resp.Warnings, job); warnings != "" {
		fmt.Fprintf(w, "\nJob Warnings:\n%s\n", warnings)
	}
	fmt.Fprintf(w, "\nJob Modify Index: %d\n", resp.JobModifyIndex)
	fmt.Fprintf(w, "To submit the job with version verification run:\n\n")
	fmt.Fprintf(w, "%s\n\n", checkIndexCommand(c, resp.JobModifyIndex, path))
	fmt.Fprintln(w, "When running the job with the check-index flag, the job will only be run if the\n"+
		"job modify index given matches the server-side version. If the index has\n"+
		"changed, another user has modified the job and the plan's results are\n"+
		"potentially invalid.")
	if planHasChanges(resp) {
		// Exit 1 answers "there are changes"; it is not an error.
		return quietExit(planChanges, "the plan creates or destroys allocations")
	}
	return nil
}

// planHasChanges reports whether the plan creates or destroys allocations.
func planHasChanges(resp *api.JobPlanResponse) bool {
	if resp.Annotations == nil {
		return false
	}
	for _, u := range resp.Annotations.DesiredTGUpdates {
		if u.Place+u.Stop+u.Migrate+u.DestructiveUpdate+u.Canary+u.Reschedule > 0 {
			return true
		}
	}
	return false
}

func diffMark(t string) string {
	switch t {
	case api.DiffTypeAdded:
		return "+"
	case api.DiffTypeDeleted:
		return "-"
	case api.DiffTypeEdited:
		return "+/-"
	}
	return ""
}

// formatJobDiff writes a diff like Nomad's plan output. Added and deleted
// jobs, groups and tasks show only their header unless verbose.
func formatJobDiff(w io.Writer, d *api.JobDiff, ann *nomadlike.PlanAnnotations, verbose bool) {
	mark := diffMark(d.Type)
	if mark == "" {
		fmt.Fprintf(w, "Job: %q\n", d.ID)
	} else {
		fmt.Fprintf(w, "%s Job: %q\n", mark, d.ID)
	}
	if details(d.Type, verbose) {
		formatFields(w, d.Fields, "", verbose)
		formatObjects(w, d.Objects, "", verbose)
	}
	for _, g := range d.TaskGroups {
		if g.Type == api.DiffTypeNone && !verbose && groupUpdates(g, ann) == "" {
			continue
		}
		gm := diffMark(g.Type)
		prefix := gm + " "
		if gm == "" {
			prefix = ""
		}
		fmt.Fprintf(w, "%sTask Group: %q%s\n", prefix, g.Name, groupUpdates(g, ann))
		if details(g.Type, verbose) {
			formatFields(w, g.Fields, "  ", verbose)
			formatObjects(w, g.Objects, "  ", verbose)
		}
		for _, t := range g.Tasks {
			if t.Type == api.DiffTypeNone && !verbose {
				continue
			}
			tm := diffMark(t.Type)
			if tm == "" {
				tm = " "
			}
			fmt.Fprintf(w, "  %s Task: %q\n", tm, t.Name)
			if details(t.Type, verbose) {
				formatFields(w, t.Fields, "    ", verbose)
				formatObjects(w, t.Objects, "    ", verbose)
			}
		}
	}
}

// details reports whether the fields of an object with diff type t are shown.
func details(t string, verbose bool) bool {
	return verbose || (t != api.DiffTypeAdded && t != api.DiffTypeDeleted)
}

// groupUpdates renders " (1 create, 2 in-place update)" from the plan's
// annotations (or the diff's Updates).
func groupUpdates(g *api.TaskGroupDiff, ann *nomadlike.PlanAnnotations) string {
	counts := map[string]uint64{}
	for k, v := range g.Updates {
		counts[k] = v
	}
	if ann != nil {
		if u := ann.DesiredTGUpdates[g.Name]; u != nil {
			for k, v := range map[string]uint64{
				"create": u.Place, "destroy": u.Stop, "migrate": u.Migrate, "in-place update": u.InPlaceUpdate,
				"create/destroy update": u.DestructiveUpdate, "canary": u.Canary, "ignore": u.Ignore,
				"reschedule": u.Reschedule, "lost": u.Lost,
			} {
				if v > 0 {
					counts[k] = v
				}
			}
		}
	}
	if len(counts) == 0 {
		return ""
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func formatFields(w io.Writer, fields []*api.FieldDiff, indent string, verbose bool) {
	for _, f := range fields {
		switch f.Type {
		case api.DiffTypeAdded:
			fmt.Fprintf(w, "%s  + %s: %q\n", indent, f.Name, f.New)
		case api.DiffTypeDeleted:
			fmt.Fprintf(w, "%s  - %s: %q\n", indent, f.Name, f.Old)
		case api.DiffTypeEdited:
			fmt.Fprintf(w, "%s  +/- %s: %q => %q\n", indent, f.Name, f.Old, f.New)
		default:
			if verbose {
				fmt.Fprintf(w, "%s      %s: %q\n", indent, f.Name, f.New)
			}
		}
	}
}

func formatObjects(w io.Writer, objs []*api.ObjectDiff, indent string, verbose bool) {
	for _, o := range objs {
		m := diffMark(o.Type)
		if m == "" {
			if !verbose {
				continue
			}
			m = " "
		}
		fmt.Fprintf(w, "%s  %s %s {\n", indent, m, o.Name)
		formatFields(w, o.Fields, indent+"  ", verbose)
		formatObjects(w, o.Objects, indent+"  ", verbose)
		fmt.Fprintf(w, "%s    }\n", indent)
	}
}
