package identity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
)

func TestIdentityApply(t *testing.T) {
	cases := []struct {
		name     string
		id       *nomadlike.WorkloadIdentity
		tok      string
		wantFile bool
		wantEnv  bool
	}{
		{name: "no block", id: nil, tok: "a.b.c"},
		{name: "file", id: &nomadlike.WorkloadIdentity{File: true}, tok: "a.b.c", wantFile: true},
		{name: "env", id: &nomadlike.WorkloadIdentity{Env: true}, tok: "a.b.c", wantEnv: true},
		{name: "both", id: &nomadlike.WorkloadIdentity{Env: true, File: true}, tok: "a.b.c", wantFile: true, wantEnv: true},
		{name: "no token signed", id: &nomadlike.WorkloadIdentity{Env: true, File: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ad := allocdir.New(t.TempDir(), "a1")
			if err := ad.Build(); err != nil {
				t.Fatal(err)
			}
			if _, err := ad.BuildTask("web"); err != nil {
				t.Fatal(err)
			}
			task := &nomadlike.Task{Name: "web", Identity: tc.id}
			a := &nomadlike.Allocation{ID: "a1"}
			if tc.tok != "" {
				a.SignedIdentities = map[string]string{"web": tc.tok}
			}
			env, err := Apply(ad, a, task)
			if err != nil {
				t.Fatal(err)
			}
			if got := env[EnvVar] == tc.tok && tc.tok != ""; got != tc.wantEnv {
				t.Errorf("env = %v, want NOMAD_TOKEN %v", env, tc.wantEnv)
			}
			p := filepath.Join(ad.TaskDir("web").SecretsDir, TokenFile)
			fi, err := os.Stat(p)
			if (err == nil) != tc.wantFile {
				t.Fatalf("stat %s = %v, want file %v", p, err, tc.wantFile)
			}
			if tc.wantFile {
				b, _ := os.ReadFile(p)
				if string(b) != tc.tok || fi.Mode().Perm() != 0o600 {
					t.Errorf("token file = %q mode %v, want %q 0600", b, fi.Mode().Perm(), tc.tok)
				}
			}
		})
	}
}

// TestIdentityApplyRefusesLink: a task that planted a symlink at
// secrets/nomad_token cannot make the client write through it.
func TestIdentityApplyRefusesLink(t *testing.T) {
	ad := allocdir.New(t.TempDir(), "a1")
	if err := ad.Build(); err != nil {
		t.Fatal(err)
	}
	td, err := ad.BuildTask("web")
	if err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(td.SecretsDir, TokenFile)); err != nil {
		t.Fatal(err)
	}
	a := &nomadlike.Allocation{ID: "a1", SignedIdentities: map[string]string{"web": "x.y.z"}}
	_, _ = Apply(ad, a, &nomadlike.Task{Name: "web", Identity: &nomadlike.WorkloadIdentity{File: true}})
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("victim = %q: written through the link", b)
	}
}
