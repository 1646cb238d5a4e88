package jobspec_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

const varsJob = `
variable "x" {
  default = "default"
}

variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}

variable "n" {
  type    = number
  default = 1
}

job "vars" {
  datacenters = var.dcs
  meta = {
    x = var.x
  }
  group "g" {
    count = var.n
    task "t" {
      driver = "exec"
    }
  }
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	fileA := filepath.Join(dir, "a.vars.hcl")
	fileB := filepath.Join(dir, "b.vars.json")
	if err := os.WriteFile(fileA, []byte("x = \"file-a\"\nn = 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fileRuntime := filepath.Join(dir, "runtime.vars.hcl")
	if err := os.WriteFile(fileRuntime, []byte("x = \"on-${node.unique.name}\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fileB, []byte(`{"x": "file-b", "dcs": ["dc7", "dc8"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		opts    jobspec.ParseOptions
		wantX   string
		wantDCs []string
		wantN   int
	}{
		{name: "default", wantX: "default", wantDCs: []string{"dc1"}, wantN: 1},
		{name: "NOMAD_VAR", opts: jobspec.ParseOptions{Environ: []string{"NOMAD_VAR_x=nomad-env"}}, wantX: "nomad-env", wantDCs: []string{"dc1"}, wantN: 1},
		{
			name:  "NOMADLIKE_VAR wins over NOMAD_VAR",
			opts:  jobspec.ParseOptions{Environ: []string{"NOMADLIKE_VAR_x=nomadlike-env", "NOMAD_VAR_x=nomad-env"}},
			wantX: "nomadlike-env", wantDCs: []string{"dc1"}, wantN: 1,
		},
		{
			name:  "environment values are parsed by type",
			opts:  jobspec.ParseOptions{Environ: []string{`NOMAD_VAR_dcs=["e1","e2"]`, "NOMAD_VAR_n=2"}},
			wantX: "default", wantDCs: []string{"e1", "e2"}, wantN: 2,
		},
		{
			name:  "var file wins over the environment",
			opts:  jobspec.ParseOptions{Environ: []string{"NOMAD_VAR_x=env"}, VarFiles: []string{fileA}},
			wantX: "file-a", wantDCs: []string{"dc1"}, wantN: 4,
		},
		{
			name:  "later var files win, JSON var files work",
			opts:  jobspec.ParseOptions{VarFiles: []string{fileA, fileB}},
			wantX: "file-b", wantDCs: []string{"dc7", "dc8"}, wantN: 4,
		},
		{
			name:  "runtime interpolations in a var file are kept",
			opts:  jobspec.ParseOptions{VarFiles: []string{fileRuntime}},
			wantX: "on-${node.unique.name}", wantDCs: []string{"dc1"}, wantN: 1,
		},
		{
			name:  "-var wins over everything",
			opts:  jobspec.ParseOptions{Environ: []string{"NOMAD_VAR_x=env"}, VarFiles: []string{fileA}, Vars: map[string]string{"x": "flag", "dcs": `["f1"]`, "n": "3"}},
			wantX: "flag", wantDCs: []string{"f1"}, wantN: 3,
		},
		{
			name:  "undeclared environment variables are ignored",
			opts:  jobspec.ParseOptions{Environ: []string{"NOMAD_VAR_other=1", "PATH=/bin"}},
			wantX: "default", wantDCs: []string{"dc1"}, wantN: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if opts.Environ == nil {
				opts.Environ = []string{}
			}
			job, err := jobspec.Parse("vars.nomad.hcl", []byte(varsJob), &opts)
			if err != nil {
				t.Fatalf("Parse() error: %v", err)
			}
			if got := job.Meta["x"]; got != tc.wantX {
				t.Errorf("var.x = %q, want %q", got, tc.wantX)
			}
			if !reflect.DeepEqual(job.Datacenters, tc.wantDCs) {
				t.Errorf("var.dcs = %q, want %q", job.Datacenters, tc.wantDCs)
			}
			if got := job.TaskGroups[0].Count; got != tc.wantN {
				t.Errorf("var.n = %d, want %d", got, tc.wantN)
			}
		})
	}
}

func TestVarFileErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		content string
		want    string // the diagnostic, with DIR for the temp dir
	}{
		{name: "undeclared variable", content: "nope = 1\n", want: `DIR/f.hcl:1:1: Undefined variable: The job file declares no variable "nope"; add a variable "nope" block or remove this line.`},
		{name: "wrong type", content: "n = \"many\"\n", want: `DIR/f.hcl:1:5: Invalid value for variable: The value for var.n is not a number: a number is required.`},
		{name: "syntax error", content: "x = \n", want: `DIR/f.hcl:1:5: Invalid expression: Expected the start of an expression, but found an invalid expression token.`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "f.hcl")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := jobspec.Parse("vars.nomad.hcl", []byte(varsJob), &jobspec.ParseOptions{Environ: []string{}, VarFiles: []string{path}})
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Errorf("Parse() error = %v, want %s", err, want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := jobspec.Parse("vars.nomad.hcl", []byte(varsJob), &jobspec.ParseOptions{Environ: []string{}, VarFiles: []string{filepath.Join(dir, "absent.hcl")}})
		if err == nil || !strings.Contains(err.Error(), "absent.hcl") {
			t.Errorf("Parse() error = %v, want one naming absent.hcl", err)
		}
	})
}

func TestErrorText(t *testing.T) {
	src := "job \"web\" {\n  group \"web\" {\n    count = -1\n    task \"app\" {\n      driver = \"exec\"\n    }\n  }\n}\n"
	_, err := jobspec.Parse("web.nomad.hcl", []byte(src), &jobspec.ParseOptions{Environ: []string{}})
	var perr *jobspec.Error
	if !errors.As(err, &perr) {
		t.Fatalf("Parse() error = %v, want *jobspec.Error", err)
	}
	if !errors.Is(err, nomadlike.ErrValidation) {
		t.Errorf("errors.Is(err, nomadlike.ErrValidation) = false for a validation problem")
	}
	if got := perr.Diagnostics[0].Path; got != "TaskGroups[web].Count" {
		t.Errorf("Diagnostics[0].Path = %q, want TaskGroups[web].Count", got)
	}
	var b strings.Builder
	if err := perr.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "web.nomad.hcl:3:13: TaskGroups[web].Count: must be >= 0, got -1\n" +
		"  3 |     count = -1\n" +
		"    |             ^^\n"
	if b.String() != want {
		t.Errorf("WriteText() =\n%s\nwant:\n%s", b.String(), want)
	}

	_, err = jobspec.Parse("web.nomad.hcl", []byte("job \"web\" {\n  bogus = 1\n}\n"), &jobspec.ParseOptions{Environ: []string{}})
	if errors.Is(err, nomadlike.ErrValidation) {
		t.Errorf("errors.Is(err, nomadlike.ErrValidation) = true for a syntax-level problem")
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := jobspec.ParseFile(filepath.Join(t.TempDir(), "absent.nomad.hcl"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile(absent) error = %v, want one wrapping os.ErrNotExist", err)
	}
}
