package jobspecs

import (
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/schema"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
	"github.com/nomadlike/nomadlike/nomadlike/server/driverschema"
	"github.com/nomadlike/nomadlike/plugins/containerd"
	"github.com/nomadlike/nomadlike/plugins/exec"
	"github.com/nomadlike/nomadlike/plugins/rawexec"
)

// TestExamplesMatchDriverSchemas: every example job's task configs pass
// the config schemas the built-in drivers publish, the check the servers
// make at job run (issue #20).
func TestExamplesMatchDriverSchemas(t *testing.T) {
	schemas := driverschema.Schemas{
		"exec":       {schema.MustOf(exec.TaskConfig{})},
		"raw_exec":   {schema.MustOf(rawexec.TaskConfig{})},
		"containerd": {schema.MustOf(containerd.TaskConfig{})},
	}
	files, err := filepath.Glob("*.nomad.hcl")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			job, err := jobspec.ParseFile(f, &jobspec.ParseOptions{Environ: []string{}})
			if err != nil {
				t.Fatalf("ParseFile(%s): %v", f, err)
			}
			warnings, err := driverschema.Check(job, schemas)
			if err != nil || len(warnings) > 0 {
				t.Errorf("driverschema.Check(%s) = %v, warnings %q", f, err, warnings)
			}
		})
	}
}
