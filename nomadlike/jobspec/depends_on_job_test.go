package jobspec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// jobDepsSrc is a batch job "deploy" with the given job-level lines and one
// group with the given group-level lines.
func jobDepsSrc(jobLines, groupLines string) string {
	return "job \"deploy\" {\n  type = \"batch\"\n" + jobLines + "\n  group \"g\" {\n" + groupLines +
		"\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\n"
}

// TestParseJobDependsOn decodes nomadlike's job-level depends_on: several
// blocks mean all of them, condition defaults to success.
func TestParseJobDependsOn(t *testing.T) {
	src := jobDepsSrc("  depends_on { job = \"build\" }\n  depends_on {\n    job       = \"lint\"\n    condition = \"complete\"\n  }", "")
	job, err := jobspec.Parse("deploy.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []nomadlike.JobDependency{{Job: "build", Condition: "success"}, {Job: "lint", Condition: "complete"}}
	if len(job.DependsOn) != len(want) {
		t.Fatalf("DependsOn = %+v, want %+v", job.DependsOn, want)
	}
	for i := range want {
		if *job.DependsOn[i] != want[i] {
			t.Errorf("DependsOn[%d] = %+v, want %+v", i, *job.DependsOn[i], want[i])
		}
	}
}

// TestParseJobDependsOnErrors: a job-level block names a job, a group-level
// one a group; self-dependencies and bad conditions are errors, located.
func TestParseJobDependsOnErrors(t *testing.T) {
	cases := []struct {
		name             string
		jobLines, groups string
		want             string
	}{
		{"group at job level", `  depends_on { group = "g" }`, "", `deploy.nomad.hcl:3:16: Unsupported argument`},
		{"missing job", `  depends_on { condition = "success" }`, "", `deploy.nomad.hcl:3:3: Missing required argument`},
		{"job in a group", "", `    depends_on { job = "build" }`, `deploy.nomad.hcl:5:18: Unsupported argument`},
		{"itself", `  depends_on { job = "deploy" }`, "", `deploy.nomad.hcl:3:22: DependsOn[0].Job: job "deploy" cannot depend on itself`},
		{"bad condition", "  depends_on {\n    job = \"build\"\n    condition = \"often\"\n  }", "",
			`deploy.nomad.hcl:5:17: DependsOn[0].Condition: unknown condition "often"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobspec.Parse("deploy.nomad.hcl", []byte(jobDepsSrc(tc.jobLines, tc.groups)), &jobspec.ParseOptions{Environ: []string{}})
			var perr *jobspec.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse() = %v, want a *jobspec.Error", err)
			}
			var got []string
			found := false
			for _, d := range perr.Diagnostics {
				got = append(got, d.String())
				found = found || strings.HasPrefix(d.String(), tc.want)
			}
			if !found {
				t.Errorf("diagnostics %q, want one starting %q", got, tc.want)
			}
		})
	}
}
