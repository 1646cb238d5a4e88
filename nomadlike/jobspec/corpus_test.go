package jobspec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

const corpusGolden = "testdata/nomad-corpus/warnings.golden"

// TestNomadCorpus parses job files that use every block and attribute of
// Nomad's job specification: none may fail, and the warnings must be
// exactly those in the golden file (go test -update rewrites it).
func TestNomadCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/nomad-corpus/*.nomad.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var got strings.Builder
	for _, f := range files {
		res, err := jobspec.ParseFileWarnings(f, &jobspec.ParseOptions{Environ: []string{}})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, w := range res.Warnings {
			got.WriteString(w.String() + "\n")
		}
	}
	if *update {
		if err := os.WriteFile(corpusGolden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(corpusGolden)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if got.String() != string(want) {
		t.Errorf("corpus warnings differ from %s; run go test ./nomadlike/jobspec -update and review the diff.\ngot:\n%s", corpusGolden, got.String())
	}
}
