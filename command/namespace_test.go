package command

import (
	"strings"
	"testing"
)

func TestNamespaceCommands(t *testing.T) {
	cl := newCluster(t)
	t.Setenv("NOMAD_NAMESPACE", "")
	t.Setenv("NOMADLIKE_NAMESPACE", "")
	code, out, errOut := cl.cli(t, "", "namespace apply", "-description", "Team A", "team-a")
	if code != 0 || !strings.Contains(out, `Successfully applied namespace "team-a"!`) {
		t.Fatalf("namespace apply = %d %q %q", code, out, errOut)
	}
	spec := cl.jobFile(t, "ns.hcl", `name        = "team-b"
description = "Team B"
meta {
  owner = "bob"
}
`)
	if code, out, errOut := cl.cli(t, "", "namespace apply", spec); code != 0 {
		t.Fatalf("namespace apply FILE = %d %q %q", code, out, errOut)
	}
	// A name-only apply changes only the flags given.
	if code, _, errOut := cl.cli(t, "", "namespace apply", "-quota", "small", "team-b"); code != 0 {
		t.Fatalf("namespace apply -quota = %d %q", code, errOut)
	}
	code, out, _ = cl.cli(t, "", "namespace status", "team-b")
	if code != 0 {
		t.Fatalf("namespace status = %d", code)
	}
	mustContain(t, "namespace status", out, "Name        = team-b", "Description = Team B", "Quota       = small", "Metadata", "owner = bob")
	code, out, _ = cl.cli(t, "", "namespace list")
	if code != 0 {
		t.Fatalf("namespace list = %d", code)
	}
	mustContain(t, "namespace list", out, "default", "Default shared namespace", "team-a", "Team A", "team-b")

	cases := []struct {
		name, cmd string
		args      []string
		want      string
	}{
		{"bad name", "namespace apply", []string{"team a"}, "neither a file nor a valid namespace name"},
		{"unsupported block", "namespace apply", []string{cl.jobFile(t, "caps.hcl", "name = \"x\"\ncapabilities {\n}\n")}, "caps.hcl:2,1-13: Unsupported block type"},
		{"delete default", "namespace delete", []string{"default"}, "cannot be deleted"},
		{"status unknown", "namespace status", []string{"nope"}, `namespace "nope" not found`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cl.cli(t, "", tc.cmd, tc.args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s %v = %d %q %q, want an error containing %q", tc.cmd, tc.args, code, out, errOut, tc.want)
			}
		})
	}
	if code, out, errOut := cl.cli(t, "", "namespace delete", "team-a"); code != 0 || !strings.Contains(out, `Successfully deleted namespace "team-a"!`) {
		t.Fatalf("namespace delete = %d %q %q", code, out, errOut)
	}
	if _, out, _ := cl.cli(t, "", "namespace list"); strings.Contains(out, "team-a") {
		t.Errorf("team-a still listed after delete:\n%s", out)
	}
}

// TestJobNamespacesCLI: a job file naming an unknown namespace is refused;
// two namespaces each run a job "web"; -namespace, NOMAD_NAMESPACE and
// -namespace '*' select what the commands see; stopping one leaves the
// other running; a namespace with a running job cannot be deleted.
func TestJobNamespacesCLI(t *testing.T) {
	cl := newCluster(t)
	t.Setenv("NOMAD_NAMESPACE", "")
	t.Setenv("NOMADLIKE_NAMESPACE", "")
	teamFile := cl.jobFile(t, "team.hcl", strings.Replace(webJob("web", 1, 64), `datacenters`, "namespace = \"team-a\"\n  datacenters", 1))
	code, out, errOut := cl.cli(t, "", "job run", teamFile)
	if code != 1 || !strings.Contains(errOut, `Job.Namespace: namespace "team-a" does not exist`) {
		t.Fatalf("job run in unknown namespace = %d %q %q", code, out, errOut)
	}
	if _, out, _ := cl.cli(t, "", "job status", "-namespace", "*"); !strings.Contains(out, "No running jobs") {
		t.Fatalf("a refused job was stored:\n%s", out)
	}
	if code, _, errOut := cl.cli(t, "", "namespace apply", "team-a"); code != 0 {
		t.Fatal(errOut)
	}
	// The file's namespace is used when no -namespace is given.
	if code, out, errOut := cl.cli(t, "", "job run", teamFile); code != 0 {
		t.Fatalf("job run team-a/web = %d %s %s", code, out, errOut)
	}
	// An explicit -namespace wins over the file's, as Nomad's.
	if code, out, errOut := cl.cli(t, "", "job run", "-namespace", "default", teamFile); code != 0 {
		t.Fatalf("job run -namespace default = %d %s %s", code, out, errOut)
	}
	for _, ns := range []string{"default", "team-a"} {
		if j, _ := cl.fake.State().JobByID(nil, ns, "web"); j == nil || j.Stop {
			t.Fatalf("job %s/web = %+v, want running", ns, j)
		}
	}

	_, out, _ = cl.cli(t, "", "job status")
	if strings.Count(out, "web") != 1 || strings.Contains(out, "Namespace") {
		t.Errorf("job status (default namespace) =\n%s", out)
	}
	_, out, _ = cl.cli(t, "", "job status", "-namespace", "*")
	mustContain(t, "job status -namespace *", out, "Namespace", "default", "team-a")
	code, _, errOut = cl.cli(t, "", "job status", "-namespace", "*", "web")
	if code != 1 || !strings.Contains(errOut, "default/web") || !strings.Contains(errOut, "team-a/web") {
		t.Errorf("job status -namespace * web = %d %q, want an ambiguity naming both", code, errOut)
	}
	code, out, _ = cl.cli(t, "", "job status", "-namespace", "team-a", "web")
	if code != 0 || !strings.Contains(out, "Namespace     = team-a") {
		t.Errorf("job status -namespace team-a web = %d\n%s", code, out)
	}

	code, _, errOut = cl.cli(t, "", "namespace delete", "team-a")
	if code != 1 || !strings.Contains(errOut, "non-terminal job") {
		t.Errorf("namespace delete with a running job = %d %q", code, errOut)
	}

	// NOMAD_NAMESPACE selects the namespace of job stop.
	t.Setenv("NOMAD_NAMESPACE", "team-a")
	if code, out, errOut := cl.cli(t, "", "job stop", "-detach", "web"); code != 0 {
		t.Fatalf("NOMAD_NAMESPACE=team-a job stop web = %d %s %s", code, out, errOut)
	}
	t.Setenv("NOMAD_NAMESPACE", "")
	if j, _ := cl.fake.State().JobByID(nil, "team-a", "web"); j == nil || !j.Stop {
		t.Errorf("team-a/web after stop = %+v, want stopped", j)
	}
	if j, _ := cl.fake.State().JobByID(nil, "default", "web"); j == nil || j.Stop {
		t.Errorf("default/web after stopping team-a/web = %+v, want running", j)
	}
}

// TestNamespaceEnvOrder: NOMADLIKE_NAMESPACE wins over NOMAD_NAMESPACE,
// and -namespace over both.
func TestNamespaceEnvOrder(t *testing.T) {
	cl := newCluster(t)
	if code, _, errOut := cl.cli(t, "", "namespace apply", "team-a"); code != 0 {
		t.Fatal(errOut)
	}
	t.Setenv("NOMADLIKE_NAMESPACE", "")
	t.Setenv("NOMAD_NAMESPACE", "team-a")
	if code, out, errOut := cl.cli(t, "", "job run", "-detach", cl.jobFile(t, "web.hcl", webJob("web", 1, 64))); code != 0 {
		t.Fatalf("NOMAD_NAMESPACE=team-a job run = %d %s %s", code, out, errOut)
	}
	if j, _ := cl.fake.State().JobByID(nil, "team-a", "web"); j == nil {
		t.Fatal("NOMAD_NAMESPACE=team-a job run did not register in team-a")
	}
	cases := []struct {
		name, nomadlikeNS, nomadNS string
		args                       []string
		wantCode                   int
	}{
		{"NOMAD_NAMESPACE", "", "team-a", nil, 0},
		{"NOMADLIKE_NAMESPACE wins", "team-a", "default", nil, 0},
		{"NOMADLIKE_NAMESPACE wins the other way", "default", "team-a", nil, 1},
		{"flag wins", "default", "default", []string{"-namespace", "team-a"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NOMADLIKE_NAMESPACE", tc.nomadlikeNS)
			t.Setenv("NOMAD_NAMESPACE", tc.nomadNS)
			code, out, errOut := cl.cli(t, "", "job status", append(tc.args, "web")...)
			if code != tc.wantCode {
				t.Errorf("job status web = %d, want %d\n%s%s", code, tc.wantCode, out, errOut)
			}
		})
	}
}
