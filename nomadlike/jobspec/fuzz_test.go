package jobspec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

// FuzzParse feeds job files to the HCL parser, seeded with every file in
// jobspecs/. Nothing may panic, and a job the parser returns must survive
// Canonicalize and Validate.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("../../jobspecs/*.hcl")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files in jobspecs/: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `job "x" {}`, `job "x" { group "g" { task "t" { driver = "raw_exec" } } }`,
		"job \"..\" {\n  group \"g\" {\n    task \"../../x\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\n",
		"variable \"n\" {\n  default = 3\n}\njob \"x\" {\n  group \"g\" {\n    count = var.n\n  }\n}\n",
		"locals {\n  a = \"${upper(\"x\")}\"\n}\njob \"x\" {\n  meta = { k = local.a }\n}\n",
		"job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      resources {\n        memory = 1e400\n      }\n    }\n  }\n}\n",
		"job \"x\" { periodic { crons = [\"*/5 * * * *\"] } }",
		"job \"x\" {\n  dynamic \"group\" {\n    for_each = [1, 2]\n  }\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// file() and fileexists() read the disk: keep the fuzzer off
		// devices and kernel files that block or never end.
		for _, p := range []string{"/dev", "/proc", "/sys"} {
			if bytes.Contains(src, []byte(p)) {
				t.Skip()
			}
		}
		job, err := jobspec.Parse("fuzz.nomad.hcl", src, &jobspec.ParseOptions{Environ: []string{}})
		if err != nil || job == nil {
			return
		}
		job.Canonicalize()
		_ = job.Validate()
	})
}
