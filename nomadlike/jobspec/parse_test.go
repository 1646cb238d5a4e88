package jobspec_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenOptions are the options every golden file is parsed with; a sibling
// NAME.vars.hcl is applied as a -var-file.
func goldenOptions(path string) *jobspec.ParseOptions {
	opts := &jobspec.ParseOptions{Environ: []string{"NOMADLIKE_VAR_env_name=from-env", "NOMAD_VAR_env_name=loses"}}
	vars := strings.TrimSuffix(path, ".nomad.hcl") + ".vars.hcl"
	if _, err := os.Stat(vars); err == nil {
		opts.VarFiles = []string{vars}
	}
	return opts
}

func marshalJob(t *testing.T, job *nomadlike.Job) []byte {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{"Job": job}, "", "  ")
	if err != nil {
		t.Fatalf("marshal job: %v", err)
	}
	return append(b, '\n')
}

func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.nomad.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".nomad.hcl")
		t.Run(name, func(t *testing.T) {
			job, err := jobspec.ParseFile(path, goldenOptions(path))
			if err != nil {
				t.Fatalf("ParseFile(%s) failed:\n%v", path, err)
			}
			got := marshalJob(t, job)
			golden := strings.TrimSuffix(path, ".nomad.hcl") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run go test -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ParseFile(%s) differs from %s; run go test ./nomadlike/jobspec -update and review the diff.\ngot:\n%s", path, golden, got)
			}
			// The result round-trips through the API JSON and stays valid.
			var back struct{ Job *nomadlike.Job }
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if err := back.Job.Validate(); err != nil {
				t.Errorf("round-tripped job is invalid: %v", err)
			}
		})
	}
}
