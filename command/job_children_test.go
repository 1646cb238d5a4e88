package command

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

func TestJobPeriodicForceAndStatus(t *testing.T) {
	cl := newCluster(t)
	code, out, errOut := cl.cli(t, "", "job run", "../jobspecs/periodic.nomad.hcl")
	if code != 0 {
		t.Fatalf("job run periodic = %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "job run periodic", out, "Job registration successful")

	code, out, _ = cl.cli(t, "", "job status", "periodic")
	if code != 0 {
		t.Fatalf("job status = %d\n%s", code, out)
	}
	mustContain(t, "job status before any launch", out, "Periodic             = true", "Next Periodic Launch = ", "(UTC, in ",
		"Children Job Summary", "Previously Launched Jobs", "No instances of this job have been launched yet")

	code, out, errOut = cl.cli(t, "", "job periodic force", "periodic")
	if code != 0 {
		t.Fatalf("job periodic force = %d\n%s%s", code, out, errOut)
	}
	mustContain(t, "job periodic force", out, `Monitoring evaluation "`, `Evaluation triggered by job "periodic/periodic-`, `finished with status "complete"`)

	code, out, _ = cl.cli(t, "", "job status", "periodic")
	if code != 0 {
		t.Fatal(out)
	}
	if !regexp.MustCompile(`(?m)^periodic/periodic-\d+\s+(running|pending|dead)`).MatchString(out) {
		t.Errorf("job status does not list the launched child:\n%s", out)
	}
	if strings.Contains(out, "\nAllocations\n") {
		t.Errorf("job status of a parent shows allocations:\n%s", out)
	}

	code, out, errOut = cl.cli(t, "", "job periodic force", "-detach", "periodic")
	if code != 0 || !strings.Contains(out, "Force periodic successful") || !strings.Contains(out, "Evaluation ID: ") {
		t.Errorf("job periodic force -detach = %d %q %q", code, out, errOut)
	}
}

func TestJobDispatch(t *testing.T) {
	cl := newCluster(t)
	code, out, errOut := cl.cli(t, "", "job run", "../jobspecs/parameterized.nomad.hcl")
	if code != 0 {
		t.Fatalf("job run parameterized = %d\n%s%s", code, out, errOut)
	}
	cases := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		stdout  []string
		stderr  []string
		payload string
	}{
		{name: "missing meta", stdin: `{"name": "world"}`, args: []string{"parameterized", "-"}, code: 1,
			stderr: []string{`Meta: missing required key "greeting"`}},
		{name: "unknown meta", stdin: `{}`, args: []string{"-meta", "greeting=hi", "-meta", "colour=red", "parameterized", "-"}, code: 1,
			stderr: []string{`Meta: unknown key "colour" (allowed: greeting, repeat)`}},
		{name: "missing payload", args: []string{"-meta", "greeting=hi", "parameterized"}, code: 1,
			stderr: []string{"Payload: required"}},
		{name: "bad meta flag", args: []string{"-meta", "greeting", "parameterized"}, code: 1,
			stderr: []string{`-meta "greeting": want KEY=VALUE`}},
		{name: "missing input file", args: []string{"-meta", "greeting=hi", "parameterized", "/nonexistent/in.json"}, code: 1,
			stderr: []string{"read input file"}},
		{name: "ok from stdin", stdin: `{"name": "world"}`, args: []string{"-meta", "greeting=hi,there", "parameterized", "-"},
			stdout: []string{"Dispatched Job ID = parameterized/dispatch-", `finished with status "complete"`}, payload: `{"name": "world"}`},
		{name: "detach with template", stdin: "x", args: []string{"-detach", "-id-prefix-template", "nightly", "-meta", "greeting=hi", "parameterized", "-"},
			stdout: []string{"Dispatched Job ID = parameterized/dispatch-nightly-", "Evaluation ID     = "}, payload: "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cl.cli(t, tc.stdin, "job dispatch", tc.args...)
			if code != tc.code {
				t.Fatalf("job dispatch %v = %d, want %d\n%s%s", tc.args, code, tc.code, out, errOut)
			}
			mustContain(t, "stdout", out, tc.stdout...)
			mustContain(t, "stderr", errOut, tc.stderr...)
			if tc.code != 0 {
				return
			}
			id := regexp.MustCompile(`Dispatched Job ID = (\S+)`).FindStringSubmatch(out)[1]
			code, out, _ = cl.cli(t, "", "job inspect", id)
			if code != 0 {
				t.Fatalf("job inspect %s = %d\n%s", id, code, out)
			}
			mustContain(t, "job inspect", out, `"Dispatched": true`, `"ParentID": "parameterized"`, `"greeting": "hi`,
				`"Payload": "`+base64.StdEncoding.EncodeToString([]byte(tc.payload))+`"`)
		})
	}

	code, out, _ = cl.cli(t, "", "job status", "parameterized")
	if code != 0 {
		t.Fatal(out)
	}
	mustContain(t, "job status", out, "Parameterized Job", "Payload           = required", "Required Metadata = greeting",
		"Optional Metadata = repeat", "Children Job Summary", "Dispatched Jobs", "parameterized/dispatch-nightly-")
	if n := strings.Count(out, "parameterized/dispatch-"); n != 2 {
		t.Errorf("job status lists %d dispatched jobs, want 2:\n%s", n, out)
	}
}
