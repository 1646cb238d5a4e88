package jobspec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// pipelineSrc is a batch job whose groups have the given bodies (the
// depends_on lines), each group with one raw_exec task.
func pipelineSrc(groups ...[2]string) string {
	var b strings.Builder
	b.WriteString("job \"ci\" {\n  type = \"batch\"\n")
	for _, g := range groups {
		b.WriteString("  group \"" + g[0] + "\" {\n")
		b.WriteString(g[1] + "\n")
		b.WriteString("    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// TestParseDependsOn decodes nomadlike's group depends_on blocks: several
// blocks mean all of them, condition defaults to success.
func TestParseDependsOn(t *testing.T) {
	src := pipelineSrc(
		[2]string{"build", ""},
		[2]string{"test", `    depends_on { group = "build" }`},
		[2]string{"package", `    depends_on { group = "build" }` + "\n" + `    depends_on {` + "\n" + `      group = "test"` + "\n" + `      condition = "complete"` + "\n" + `    }`},
	)
	job, err := jobspec.Parse("ci.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := job.LookupTaskGroup("package").DependsOn
	want := []nomadlike.GroupDependency{{Group: "build", Condition: "success"}, {Group: "test", Condition: "complete"}}
	if len(got) != len(want) {
		t.Fatalf("DependsOn = %+v, want %+v", got, want)
	}
	for i := range want {
		if *got[i] != want[i] {
			t.Errorf("DependsOn[%d] = %+v, want %+v", i, *got[i], want[i])
		}
	}
}

// TestParseDependsOnErrors: unknown groups, bad conditions and cycles are
// errors located at the depends_on line.
func TestParseDependsOnErrors(t *testing.T) {
	cases := []struct {
		name   string
		groups [][2]string
		want   string
	}{
		{"unknown group", [][2]string{{"build", ""}, {"test", `    depends_on { group = "biuld" }`}},
			`ci.nomad.hcl:10:26: TaskGroups[test].DependsOn[0].Group: unknown group "biuld"`},
		{"bad condition", [][2]string{{"build", ""}, {"test", `    depends_on {` + "\n" + `      group = "build"` + "\n" + `      condition = "sometimes"` + "\n" + `    }`}},
			`ci.nomad.hcl:12:19: TaskGroups[test].DependsOn[0].Condition: unknown condition "sometimes"`},
		{"cycle", [][2]string{{"a", `    depends_on { group = "b" }`}, {"b", `    depends_on { group = "a" }`}},
			`ci.nomad.hcl:4:26: TaskGroups[a].DependsOn[0].Group: depends_on cycle: "a" -> "b" -> "a"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobspec.Parse("ci.nomad.hcl", []byte(pipelineSrc(tc.groups...)), &jobspec.ParseOptions{Environ: []string{}})
			var perr *jobspec.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse() = %v, want a *jobspec.Error", err)
			}
			var got []string
			for _, d := range perr.Diagnostics {
				got = append(got, d.String())
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
				t.Errorf("diagnostics %q, want one starting %q", got, tc.want)
			}
		})
	}
}
