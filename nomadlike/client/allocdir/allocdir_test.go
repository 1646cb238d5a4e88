package allocdir

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/nomadlike/nomadlike/drivers/beneath"
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

func TestBuildModes(t *testing.T) {
	d := New(t.TempDir(), "a1")
	if err := d.Build(); err != nil {
		t.Fatal(err)
	}
	// An alloc dir from an older version had a world-writable logs dir.
	if err := os.Chmod(d.LogDir(), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := d.Build(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.BuildTask("web"); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		"alloc":       os.ModeDir | 0o755,
		"alloc/data":  os.ModeDir | 0o777,
		"alloc/logs":  os.ModeDir | 0o755,
		"alloc/tmp":   os.ModeDir | os.ModeSticky | 0o777,
		"web/local":   os.ModeDir | 0o777,
		"web/secrets": os.ModeDir | 0o700,
		"web/tmp":     os.ModeDir | os.ModeSticky | 0o777,
	} {
		fi, err := os.Lstat(filepath.Join(d.Dir, p))
		if err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, fi.Mode(), err, want)
		}
	}
	fi, _ := os.Stat(d.LogDir())
	if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Geteuid() {
		t.Errorf("alloc/logs owner = %d, want the agent's %d", uid, os.Geteuid())
	}
}

// TestBuildRefusesPlantedLinks: a task that replaced a directory it can
// write in with a link to a host directory must not get that directory
// chmodded (or created into) by the next Build.
func TestBuildRefusesPlantedLinks(t *testing.T) {
	cases := []struct {
		name  string
		link  string // relative to the alloc dir
		build func(d *AllocDir) error
	}{
		{"shared data dir", "alloc/data", func(d *AllocDir) error { return d.Build() }},
		{"shared tmp dir", "alloc/tmp", func(d *AllocDir) error { return d.Build() }},
		{"task local dir", "web/local", func(d *AllocDir) error { _, err := d.BuildTask("web"); return err }},
		{"task tmp dir", "web/tmp", func(d *AllocDir) error { _, err := d.BuildTask("web"); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := New(t.TempDir(), "a1")
			if err := d.Build(); err != nil {
				t.Fatal(err)
			}
			if _, err := d.BuildTask("web"); err != nil {
				t.Fatal(err)
			}
			host := t.TempDir()
			if err := os.Chmod(host, 0o700); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(d.Dir, tc.link)
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(host, p); err != nil {
				t.Fatal(err)
			}
			if err := tc.build(d); !errors.Is(err, beneath.ErrLink) {
				t.Fatalf("build = %v, want beneath.ErrLink", err)
			}
			if fi, _ := os.Stat(host); fi.Mode() != os.ModeDir|0o700 {
				t.Errorf("host dir mode = %v, want drwx------", fi.Mode())
			}
		})
	}
}

func TestRelPath(t *testing.T) {
	d := New(t.TempDir(), "a1")
	td := d.TaskDir("web")
	cases := []struct {
		rel  string
		want string // "" for ErrEscapes
	}{
		{"local/out.txt", "web/local/out.txt"},
		{"/local/out.txt", "web/local/out.txt"},
		{"../alloc/data/x", "alloc/data/x"},
		{"local/../secrets/x", "web/secrets/x"},
		{"..", "."},
		{"../../etc/passwd", ""},
		{"local/../../../x", ""},
	}
	for _, tc := range cases {
		t.Run(tc.rel, func(t *testing.T) {
			got, err := d.RelPath(td.Dir, tc.rel)
			if tc.want == "" {
				if !errors.Is(err, ErrEscapes) {
					t.Fatalf("RelPath(%q) = %q, %v, want ErrEscapes", tc.rel, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("RelPath(%q) = %q, %v, want %q", tc.rel, got, err, tc.want)
			}
		})
	}
}
