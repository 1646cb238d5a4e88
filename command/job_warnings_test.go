package command

import (
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// warnedJob sets a group consul block (line 4) and a task consul block
// (line 6), which nomadlike does not act on (it has no Consul).
const warnedJob = `job "warned" {
  datacenters = ["dc1"]
  group "web" {
    consul {}
    task "app" {
      consul {}
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["100"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

func TestJobWarnings(t *testing.T) {
	cl := newCluster(t)
	file := cl.jobFile(t, "warned.nomad.hcl", warnedJob)
	wantWarnings := []string{
		"Warning: " + file + ":4:5: group.consul has no effect in nomadlike: nomadlike has no Consul integration",
		"Warning: " + file + ":6:7: task.consul has no effect in nomadlike: nomadlike has no Consul integration",
	}
	cases := []struct {
		name   string
		cmd    string
		args   []string
		code   int
		stdout string
	}{
		{name: "validate", cmd: "job validate", code: 0, stdout: "Job validation successful"},
		{name: "plan", cmd: "job plan", code: 1, stdout: "Scheduler dry-run:"},
		{name: "run", cmd: "job run", args: []string{"-detach"}, code: 0, stdout: "Job registration successful"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cli := func(args ...string) (int, string, string) {
				if tc.name == "validate" {
					// validate reads no agent, so takes no -address.
					return run(t, "", append(strings.Fields(tc.cmd), args...)...)
				}
				return cl.cli(t, "", tc.cmd, args...)
			}
			code, out, errOut := cli(append(tc.args, file)...)
			if code != tc.code {
				t.Fatalf("%s = %d, want %d\n%s%s", tc.cmd, code, tc.code, out, errOut)
			}
			mustContain(t, tc.cmd+" stdout", out, tc.stdout)
			mustContain(t, tc.cmd+" stderr", errOut, wantWarnings...)
			// The server's lines about the same fields are not repeated.
			if strings.Contains(out, "has no effect in nomadlike") {
				t.Errorf("%s repeats the server's warnings:\n%s", tc.cmd, out)
			}

			code, out, errOut = cli(append(append([]string{"-strict"}, tc.args...), file)...)
			if code == 0 {
				t.Fatalf("%s -strict = %d; want an error\n%s%s", tc.cmd, code, out, errOut)
			}
			mustContain(t, tc.cmd+" -strict stderr", errOut, wantWarnings[0], "2 warnings, and -strict makes them errors")
			if strings.Contains(out, tc.stdout) {
				t.Errorf("%s -strict went on:\n%s", tc.cmd, out)
			}
		})
	}
}

func TestServerWarningsDropsFieldLines(t *testing.T) {
	job, err := jobspec.Parse("warned.nomad.hcl", []byte(warnedJob), &jobspec.ParseOptions{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	// Two fields the servers warn about.
	job.TaskGroups[0].Tasks[0].Resources.Cores = 2
	job.TaskGroups[0].EphemeralDisk.Sticky = true
	cases := []struct{ name, server, want string }{
		{name: "none", server: "", want: ""},
		{name: "only field lines", server: "TaskGroups[web].EphemeralDisk.Sticky: has no effect in nomadlike\nTaskGroups[web].Tasks[app].Resources.Cores: has no effect in nomadlike", want: ""},
		{name: "other lines kept", server: "TaskGroups[web].EphemeralDisk.Sticky: has no effect in nomadlike\nnext launch at noon", want: "next launch at noon"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := serverWarnings(tc.server, job); got != tc.want {
				t.Errorf("serverWarnings(%q) = %q, want %q", tc.server, got, tc.want)
			}
		})
	}
}
