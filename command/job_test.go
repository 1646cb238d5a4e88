package command

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/jobspec"
)

const goodJob = `variable "greeting" {
  default = "hello"
}

job "hello" {
  type = "batch"

  group "g" {
    task "t" {
      driver = "exec"

      config {
        command = "/bin/echo"
        args    = [var.greeting, "${node.unique.name}"]
      }
    }
  }
}
`

const brokenJob = `job "hello" {
  group "g" {
    count = -1

    task "t" {
      colour = "red"
    }
  }
}
`

// run runs the CLI in dir with args and returns the exit code and streams.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := NewApp(&stdout, &stderr)
	app.Reader = strings.NewReader(stdin)
	// As RunWith, with a stdin the test controls.
	code := runApp(app, append([]string{"nomadlike"}, args...), &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJobValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.nomad.hcl", goodJob)
	broken := writeFile(t, dir, "broken.nomad.hcl", brokenJob)
	varFile := writeFile(t, dir, "v.hcl", "greeting = \"from file\"\n")
	cases := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr []string // substrings
	}{
		{name: "valid file", args: []string{good}, wantStdout: "Job validation successful\n"},
		{name: "valid file with -var and -var-file", args: []string{"-var", "greeting=a,b", "-var-file", varFile, good}, wantStdout: "Job validation successful\n"},
		{name: "stdin", args: []string{"-"}, stdin: goodJob, wantStdout: "Job validation successful\n"},
		{
			name:     "broken file",
			args:     []string{broken},
			wantCode: 1,
			wantStderr: []string{
				broken + `:6:7: Unsupported argument: An argument named "colour" is not expected here.`,
				"  6 |       colour = \"red\"\n    |       ^^^^^^\n",
				"Error: " + broken + " is not a valid job file: 1 problem",
			},
		},
		{
			name:     "broken stdin",
			args:     []string{"-"},
			stdin:    strings.Replace(brokenJob, `      colour = "red"`, `      driver = "exec"`, 1),
			wantCode: 1,
			wantStderr: []string{
				"<stdin>:3:13: TaskGroups[g].Count: must be >= 0, got -1",
				"  3 |     count = -1\n",
			},
		},
		{name: "undeclared -var", args: []string{"-var", "nope=1", good}, wantCode: 1, wantStderr: []string{`declares no variable "nope"`}},
		{name: "malformed -var", args: []string{"-var", "novalue", good}, wantCode: 1, wantStderr: []string{`Error: -var "novalue": want NAME=VALUE`}},
		{name: "missing file", args: []string{filepath.Join(dir, "absent.hcl")}, wantCode: 1, wantStderr: []string{"Error: read job file:", "no such file"}},
		{name: "no argument", args: nil, wantCode: 1, wantStderr: []string{"Error: nomadlike job validate takes one argument"}},
		{name: "two arguments", args: []string{good, good}, wantCode: 1, wantStderr: []string{"got 2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.stdin, append([]string{"job", "validate"}, tc.args...)...)
			if code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			if tc.wantCode == 0 && stdout != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout, tc.wantStdout)
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestJobRunOutput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.nomad.hcl", goodJob)
	code, stdout, stderr := run(t, "", "job", "run", "-output", "-var", "greeting=hi there", good)
	if code != 0 {
		t.Fatalf("exit code = %d, stderr: %s", code, stderr)
	}
	var out struct{ Job *nomadlike.Job }
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not {\"Job\": ...} JSON: %v\n%s", err, stdout)
	}
	want, err := jobspec.Parse(good, []byte(goodJob), &jobspec.ParseOptions{Vars: map[string]string{"greeting": "hi there"}, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(out.Job)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("job run -output job =\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	args := out.Job.TaskGroups[0].Tasks[0].Config["args"].([]any)
	if args[0] != "hi there" || args[1] != "${node.unique.name}" {
		t.Errorf("config args = %v, want [hi there ${node.unique.name}]", args)
	}
}

func TestJobRunErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.nomad.hcl", goodJob)
	broken := writeFile(t, dir, "broken.nomad.hcl", brokenJob)
	cases := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{name: "agent unreachable", args: []string{"-address", "http://127.0.0.1:1", good}, wantStderr: "Error: register job \"hello\""},
		{name: "broken file with -output", args: []string{"-output", broken}, wantStderr: broken + `:6:7: Unsupported argument`},
		{name: "no file", args: []string{"-output"}, wantStderr: "takes one argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", append([]string{"job", "run"}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit code = %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}

func TestJobInit(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		file  string
		short bool
	}{
		{name: "default file", args: nil, file: DefaultInitFile},
		{name: "named file", args: []string{"my.nomad.hcl"}, file: "my.nomad.hcl"},
		{name: "short", args: []string{"-short", "short.nomad.hcl"}, file: "short.nomad.hcl", short: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, stdout, stderr := run(t, "", append([]string{"job", "init"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit code = %d, stderr: %s", code, stderr)
			}
			if want := "Example job file written to " + tc.file + "\n"; stdout != want {
				t.Errorf("stdout = %q, want %q", stdout, want)
			}
			content, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if hasComments := strings.Contains(string(content), "#"); hasComments == tc.short {
				t.Errorf("file has comments = %v, want %v", hasComments, !tc.short)
			}
			// What init writes passes validate, with nothing that has no
			// effect in nomadlike (-strict).
			if code, _, stderr := run(t, "", "job", "validate", "-strict", tc.file); code != 0 {
				t.Errorf("job validate %s: exit %d\n%s", tc.file, code, stderr)
			}
			// A second init refuses to overwrite; -force overwrites.
			if err := os.WriteFile(tc.file, []byte("mine"), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr = run(t, "", append([]string{"job", "init"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, "already exists; use -force") {
				t.Errorf("second init: exit %d, stderr %q; want 1 and a -force hint", code, stderr)
			}
			if b, _ := os.ReadFile(tc.file); string(b) != "mine" {
				t.Errorf("second init overwrote the file")
			}
			code, _, stderr = run(t, "", append([]string{"job", "init", "-force"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("init -force: exit %d, stderr %s", code, stderr)
			}
			if b, _ := os.ReadFile(tc.file); string(b) != string(content) {
				t.Errorf("init -force did not rewrite the example")
			}
		})
	}
	t.Run("too many arguments", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if code, _, _ := run(t, "", "job", "init", "a", "b"); code != 1 {
			t.Errorf("exit code = %d, want 1", code)
		}
	})
}

// TestRunWithExitCodes goes through RunWith, the entry point main uses.
func TestRunWithExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.nomad.hcl", goodJob)
	broken := writeFile(t, dir, "broken.nomad.hcl", brokenJob)
	var stdout, stderr bytes.Buffer
	if code := RunWith([]string{"nomadlike", "job", "validate", good}, &stdout, &stderr); code != 0 {
		t.Errorf("RunWith(validate good) = %d, want 0; stderr %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := RunWith([]string{"nomadlike", "job", "validate", broken}, &stdout, &stderr); code != 1 {
		t.Errorf("RunWith(validate broken) = %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), broken+":6:7:") {
		t.Errorf("stderr lacks the position:\n%s", stderr.String())
	}
}
