package command

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanExitCodeIsNotAnError: `job plan` exits 1 for "changes" as Nomad's
// does, and prints no "Error:" for it; a failing plan still exits 255 with
// its error.
func TestPlanExitCodeIsNotAnError(t *testing.T) {
	cl := newCluster(t)
	file := cl.jobFile(t, "web.nomad.hcl", webJob("web", 1, 128))
	code, out, errOut := cl.cli(t, "", "job plan", file)
	if code != planChanges || errOut != "" {
		t.Fatalf("job plan (changes) = %d, stderr %q; want %d and nothing on stderr\n%s", code, errOut, planChanges, out)
	}
	code, _, errOut = cl.cli(t, "", "job plan", filepath.Join(cl.dir, "missing.hcl"))
	if code != planError || !strings.HasPrefix(errOut, "Error: ") {
		t.Fatalf("job plan (missing file) = %d, stderr %q; want %d and an Error: line", code, errOut, planError)
	}
}

// TestPlanCheckIndexHintRepeatsVars: the `job run -check-index` line that
// `job plan` prints carries the -var-file and -var flags of the plan (shell
// quoted), so running it submits the job that was planned.
func TestPlanCheckIndexHintRepeatsVars(t *testing.T) {
	cl := newCluster(t)
	src := `variable "count" {
  type = number
}
variable "note" {
  default = "x"
}
` + strings.Replace(webJob("web", 1, 128), "count = 1", "count = var.count", 1)
	file := cl.jobFile(t, "web vars.nomad.hcl", src)
	varFile := cl.jobFile(t, "vars.hcl", "count = 2\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one var", []string{"-var", "count=1"}, "nomadlike job run -check-index 0 -var=count=1 '" + file + "'"},
		{"var file and quoted var", []string{"-var-file", varFile, "-var", "note=it's here"},
			"nomadlike job run -check-index 0 -var-file=" + varFile + ` -var='note=it'\''s here' '` + file + "'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cl.cli(t, "", "job plan", append(tc.args, file)...)
			if code != planChanges {
				t.Fatalf("job plan = %d\n%s%s", code, out, errOut)
			}
			mustContain(t, "job plan", out, "\n"+tc.want+"\n")
		})
	}
}

// TestErrorNamesItsCauseOnce: an error the agent answers is printed once,
// in the agent's words, not wrapped in the CLI's own prefix and the HTTP
// client's "Unexpected response code".
func TestErrorNamesItsCauseOnce(t *testing.T) {
	cl := newCluster(t)
	if code, out, errOut := cl.cli(t, "", "job run", "../jobspecs/parameterized.nomad.hcl"); code != 0 {
		t.Fatalf("job run parameterized = %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := cl.cli(t, "", "job dispatch", "-meta", "colour=red", "parameterized", "-")
	if code != 1 {
		t.Fatalf("job dispatch = %d, want 1: %s", code, errOut)
	}
	if n := strings.Count(errOut, `dispatch job "parameterized"`); n != 1 || strings.Contains(errOut, "Unexpected response code") {
		t.Fatalf("stderr names the dispatch %d times (want 1), or carries the HTTP wrapper:\n%s", n, errOut)
	}
	mustContain(t, "stderr", errOut, `Error: dispatch job "parameterized": `, `Meta: unknown key "colour"`)

	// The server names the job in other words: still once.
	code, _, errOut = cl.cli(t, "", "job periodic force", "parameterized")
	if want := "Error: force launch of job \"parameterized\": validation failed: not a periodic job\n"; code != 1 || errOut != want {
		t.Fatalf("job periodic force = %d %q, want 1 %q", code, errOut, want)
	}
}

// TestMissingObjectMessages: a job, allocation, evaluation or node that does
// not exist is reported in Nomad's words.
func TestMissingObjectMessages(t *testing.T) {
	cl := newCluster(t)
	cases := []struct {
		cmd  string
		arg  string
		want string
	}{
		{"job status", "nosuch", `No job(s) with prefix or id "nosuch" found`},
		{"job stop", "nosuch", `No job(s) with prefix or id "nosuch" found`},
		{"alloc status", "ffffffff", `No allocation(s) with prefix or id "ffffffff" found`},
		{"eval status", "ffffffff", `No evaluation(s) with prefix or id "ffffffff" found`},
		{"node status", "ffffffff", `No node(s) with prefix or id "ffffffff" found`},
		{"status", "ffffffff", `No job(s), allocation(s), node(s) or evaluation(s) with prefix or id "ffffffff" found`},
	}
	for _, tc := range cases {
		t.Run(tc.cmd, func(t *testing.T) {
			code, out, errOut := cl.cli(t, "", tc.cmd, tc.arg)
			if code != 1 || errOut != "Error: "+tc.want+"\n" {
				t.Fatalf("%s %s = %d, stderr %q; want 1 and %q\n%s", tc.cmd, tc.arg, code, errOut, tc.want, out)
			}
		})
	}
}
