package render

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
	"github.com/nomadlike/nomadlike/nomadlike/fixture"
)

func setup(t *testing.T) (*taskenv.Env, *allocdir.AllocDir, allocdir.TaskDir, *nomadlike.Allocation) {
	t.Helper()
	job := fixture.Job()
	node := fixture.Node()
	alloc := fixture.Alloc(job, node, 0)
	ad := allocdir.New(t.TempDir(), alloc.ID)
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	td, err := ad.BuildTask("app")
	if err != nil {
		t.Fatal(err)
	}
	env := taskenv.Build(node, alloc, job.TaskGroups[0].Tasks[0], taskenv.Paths{AllocDir: ad.SharedDir(), TaskDir: td.LocalDir, SecretsDir: td.SecretsDir})
	return env, ad, td, alloc
}

func TestRender(t *testing.T) {
	env, ad, td, alloc := setup(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	for _, err := range []error{
		os.WriteFile(secret, []byte("root-only"), 0o600),
		os.Symlink(outside, filepath.Join(td.LocalDir, "out")),
		os.Symlink(ad.SharedDir(), filepath.Join(td.LocalDir, "shared")),
		os.Symlink(secret, filepath.Join(td.LocalDir, "secret-link")),
		os.Link(secret, filepath.Join(td.LocalDir, "secret-hard")),
		os.WriteFile(filepath.Join(td.LocalDir, "in.tpl"), []byte(`task={{ env "NOMAD_TASK_NAME" }}`), 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		tmpl     nomadlike.Template
		wantFile string // relative to the task dir
		want     string
		wantMode os.FileMode
		wantEnv  map[string]string
		wantErr  error  // errors.Is
		errText  string // substring
	}{
		{
			name:     "env and helpers",
			tmpl:     nomadlike.Template{EmbeddedTmpl: `id={{ env "NOMAD_ALLOC_ID" }} foo={{ env "FOO" | toUpper }}`, DestPath: "local/app.conf", Perms: "0600"},
			wantFile: "local/app.conf", want: "id=" + alloc.ID + " foo=BAR", wantMode: 0o600,
		},
		{
			name:     "delimiters and interpolated destination",
			tmpl:     nomadlike.Template{EmbeddedTmpl: `task=[[ env "NOMAD_TASK_NAME" ]] {{ literal }}`, DestPath: "${NOMAD_TASK_NAME}.txt", LeftDelim: "[[", RightDelim: "]]"},
			wantFile: "app.txt", want: "task=app {{ literal }}", wantMode: 0o644,
		},
		{
			name:     "env file",
			tmpl:     nomadlike.Template{EmbeddedTmpl: "# comment\nDB_HOST=db.local\nexport PORT=\"5432\"\n\nTASK={{ env \"NOMAD_TASK_NAME\" }}\n", DestPath: "secrets/file.env", Envvars: true},
			wantFile: "secrets/file.env", wantMode: 0o644,
			wantEnv: map[string]string{"DB_HOST": "db.local", "PORT": "5432", "TASK": "app"},
		},
		{
			name:     "shared alloc dir",
			tmpl:     nomadlike.Template{EmbeddedTmpl: "x", DestPath: "../alloc/data/x.txt"},
			wantFile: "../alloc/data/x.txt", want: "x", wantMode: 0o644,
		},
		{name: "traversal", tmpl: nomadlike.Template{EmbeddedTmpl: "x", DestPath: "../../../../etc/evil"}, wantErr: allocdir.ErrEscapes},
		{name: "symlink escape", tmpl: nomadlike.Template{EmbeddedTmpl: "x", DestPath: "local/out/evil"}, wantErr: beneath.ErrLink},
		{name: "symlink inside the alloc dir", tmpl: nomadlike.Template{EmbeddedTmpl: "x", DestPath: "local/shared/data/f"}, wantErr: beneath.ErrLink},
		{name: "source through a symlink", tmpl: nomadlike.Template{SourcePath: "local/out/secret", DestPath: "local/k"}, wantErr: beneath.ErrLink},
		{name: "source is a symlink", tmpl: nomadlike.Template{SourcePath: "local/secret-link", DestPath: "local/k"}, wantErr: beneath.ErrLink},
		{name: "source is a hard link", tmpl: nomadlike.Template{SourcePath: "local/secret-hard", DestPath: "local/k"}, wantErr: beneath.ErrHardLinked},
		{name: "source", tmpl: nomadlike.Template{SourcePath: "local/in.tpl", DestPath: "local/from-source"}, wantFile: "local/from-source", want: "task=app", wantMode: 0o644},
		{name: "consul key", tmpl: nomadlike.Template{EmbeddedTmpl: `{{ key "a/b" }}`, DestPath: "local/k"}, wantErr: ErrUnsupported},
		{name: "parse error", tmpl: nomadlike.Template{EmbeddedTmpl: `{{ env "X" `, DestPath: "local/k"}, errText: "parse template"},
		{name: "bad perms", tmpl: nomadlike.Template{EmbeddedTmpl: "x", DestPath: "local/k", Perms: "rw"}, errText: "octal"},
		{ // last: it replaces the link the source cases use
			name:     "destination is a symlink",
			tmpl:     nomadlike.Template{EmbeddedTmpl: "replaced", DestPath: "local/secret-link"},
			wantFile: "local/secret-link", want: "replaced", wantMode: 0o644,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Render(&tc.tmpl, env, ad, td.Dir)
			if tc.wantErr != nil || tc.errText != "" {
				if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("Render() error = %v, want %v %q", err, tc.wantErr, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render() error = %v", err)
			}
			path := filepath.Join(td.Dir, tc.wantFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && string(b) != tc.want {
				t.Errorf("rendered %q, want %q", b, tc.want)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != tc.wantMode {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.wantMode)
			}
			for k, v := range tc.wantEnv {
				if res.Env[k] != v {
					t.Errorf("env[%s] = %q, want %q", k, res.Env[k], v)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("something was written outside the alloc dir: %v", entries)
	}
	if b, _ := os.ReadFile(secret); string(b) != "root-only" {
		t.Errorf("outside file = %q, want it unchanged", b)
	}
}
