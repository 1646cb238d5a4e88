package allocdir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestBuildLayout(t *testing.T) {
	d := New(t.TempDir(), "a1")
	if err := d.Build(); err != nil {
		t.Fatal(err)
	}
	td, err := d.BuildTask("web")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"alloc/data", "alloc/logs", "alloc/tmp", "web/local", "web/secrets", "web/tmp"} {
		if fi, err := os.Stat(filepath.Join(d.Dir, p)); err != nil || !fi.IsDir() {
			t.Errorf("missing dir %s: %v", p, err)
		}
	}
	if fi, _ := os.Stat(td.SecretsDir); fi.Mode().Perm() != 0o700 {
		t.Errorf("secrets mode = %v, want 0700", fi.Mode().Perm())
	}
	if _, err := d.BuildTask("../x"); err == nil {
		t.Error(`BuildTask("../x") = nil error, want an error`)
	}
	if err := d.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Dir); !os.IsNotExist(err) {
		t.Errorf("alloc dir still exists after Destroy: %v", err)
	}
}

func TestResolve(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	d := New(root, "a1")
	if err := d.Build(); err != nil {
		t.Fatal(err)
	}
	td, _ := d.BuildTask("web")
	if err := os.Symlink(outside, filepath.Join(td.LocalDir, "evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(d.SharedDir(), filepath.Join(td.LocalDir, "shared")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rel     string
		want    string // relative to the alloc dir
		escapes bool
	}{
		{"local/out.txt", "web/local/out.txt", false},
		{"/local/out.txt", "web/local/out.txt", false},
		{"../alloc/data/x", "alloc/data/x", false},
		{"local/new/dir/f", "web/local/new/dir/f", false},
		{"local/shared/data/f", "alloc/data/f", false},
		{"../../etc/passwd", "", true},
		{"local/../../../x", "", true},
		{"local/evil/f", "", true},
		{"local/evil", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.rel, func(t *testing.T) {
			got, err := d.Resolve(td.Dir, tc.rel)
			if tc.escapes {
				if !errors.Is(err, ErrEscapes) {
					t.Fatalf("Resolve(%q) = %q, %v, want ErrEscapes", tc.rel, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q) error: %v", tc.rel, err)
			}
			realRoot, _ := filepath.EvalSymlinks(d.Dir)
			if want := filepath.Join(realRoot, tc.want); got != want {
				t.Fatalf("Resolve(%q) = %q, want %q", tc.rel, got, want)
			}
		})
	}
}
