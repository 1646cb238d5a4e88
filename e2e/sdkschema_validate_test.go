package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sdkSchemaJob is an exec job whose config block is CONFIG.
const sdkSchemaJob = `job "schema" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    task "t" {
      driver = "exec"
      config {
        CONFIG
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`

// TestSDKSchemaJobConfigChecked: a real dev agent's exec plugin publishes
// its task config schema, the client fingerprints it into the node, and
// job validate, job plan and job run refuse a config the schema refuses,
// with the job path and the file:line:col of the key, submitting nothing.
// Without the schema (old code) validate succeeds and run registers the
// job, whose allocation then fails on the client.
func TestSDKSchemaJobConfigChecked(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	a := startDevAgent(t, devAgentOptions{}, "exec")
	node := a.waitReady(30*time.Second, "exec")
	if len(node.Drivers["exec"].ConfigSchema) == 0 {
		t.Fatalf("node's exec driver info has no ConfigSchema: %+v", node.Drivers["exec"])
	}

	cases := []struct {
		name, config string
		want         []string
	}{
		{"number for a string", `command = 42`, []string{`:8:9: group "g" task "t" config.command: must be a string, got 42`}},
		{"misspelled key", "command = \"/bin/true\"\n        agrs = [\"x\"]", []string{`:9:9: group "g" task "t" config.agrs: unknown key (did you mean "args"?)`}},
		{"missing required key", `args = ["x"]`, []string{`group "g" task "t" config.command: required`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "schema.nomad.hcl")
			if err := os.WriteFile(file, []byte(strings.Replace(sdkSchemaJob, "CONFIG", tc.config, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range [][]string{{"job", "validate"}, {"job", "plan"}, {"job", "run"}} {
				code, out := runCLI(ctx, t, append(cmd, a.address(), file)...)
				t.Logf("%s:\n%s", strings.Join(cmd, " "), out)
				if code == 0 {
					t.Fatalf("%s = exit 0, want a failure:\n%s", strings.Join(cmd, " "), out)
				}
				for _, w := range tc.want {
					if !strings.Contains(out, w+"\n") {
						t.Errorf("%s output lacks %q:\n%s", strings.Join(cmd, " "), w, out)
					}
				}
			}
			jobs, _, err := a.api().Jobs().List(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 0 {
				t.Fatalf("jobs after refused submissions = %+v, want none", jobs)
			}
		})
	}

	t.Run("valid config", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "schema.nomad.hcl")
		if err := os.WriteFile(file, []byte(strings.Replace(sdkSchemaJob, "CONFIG", `command = "/bin/true"`, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out := runCLI(ctx, t, "job", "validate", a.address(), file); code != 0 || !strings.Contains(out, "Job validation successful") || strings.Contains(out, "could not be checked") {
			t.Fatalf("job validate = exit %d:\n%s", code, out)
		}
	})
}
