package beneath

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const secret = "root-only secret\n"

// tree builds, in fresh temporary directories:
//
//	outside/victim        0600, holds secret
//	root/dir/file         "inside"
//	root/linkdir   -> dir               (a link in the middle of a name)
//	root/filelink  -> dir/file          (a link as the last component)
//	root/abslink   -> <outside/victim>  (absolute)
//	root/rellink   -> ../outside/victim
//	root/dotdot    -> ..
//	root/hard                           (hard link to outside/victim)
//	root/fifo
//
// and returns root's Dir and the victim's path.
func tree(t *testing.T) (*Dir, string) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	victim := filepath.Join(base, "outside", "victim")
	for _, dir := range []string{filepath.Join(root, "dir"), filepath.Dir(victim)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(victim, []byte(secret), 0o600))
	must(t, os.WriteFile(filepath.Join(root, "dir", "file"), []byte("inside"), 0o644))
	for name, target := range map[string]string{
		"linkdir": "dir", "filelink": "dir/file", "abslink": victim, "rellink": "../outside/victim", "dotdot": "..",
	} {
		must(t, os.Symlink(target, filepath.Join(root, name)))
	}
	must(t, os.Link(victim, filepath.Join(root, "hard")))
	must(t, unix.Mkfifo(filepath.Join(root, "fifo"), 0o600))
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, victim
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// bothLookups runs f once with openat2 and once with the per-component
// openat walk kernels without openat2 get.
func bothLookups(t *testing.T, f func(t *testing.T)) {
	t.Run("openat2", func(t *testing.T) {
		if !openat2Works() {
			t.Skip("no openat2 on this kernel")
		}
		f(t)
	})
	t.Run("walk", func(t *testing.T) {
		saved := openat2Works
		openat2Works = func() bool { return false }
		t.Cleanup(func() { openat2Works = saved })
		f(t)
	})
}

func unchanged(t *testing.T, victim string) {
	t.Helper()
	b, err := os.ReadFile(victim)
	if err != nil || string(b) != secret {
		t.Fatalf("victim = %q (%v), want it unchanged", b, err)
	}
	if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o600 {
		t.Fatalf("victim mode = %v, want 0600", fi.Mode())
	}
}

func TestOpenFile(t *testing.T) {
	cases := []struct {
		name string
		path string
		flag int
		want error // nil: opens and reads "inside"
	}{
		{"plain file", "dir/file", os.O_RDONLY, nil},
		{"dot components", "./dir/./file", os.O_RDONLY, nil},
		{"link in the middle", "linkdir/file", os.O_RDONLY, ErrLink},
		{"link as last component", "filelink", os.O_RDONLY, ErrLink},
		{"absolute link", "abslink", os.O_RDONLY, ErrLink},
		{"relative link out", "rellink", os.O_RDONLY, ErrLink},
		{"link to the parent", "dotdot/outside/victim", os.O_RDONLY, ErrLink},
		{"dot dot", "../outside/victim", os.O_RDONLY, ErrOutside},
		{"dot dot back in", "dir/../dir/file", os.O_RDONLY, ErrOutside},
		{"absolute path", "/etc/passwd", os.O_RDONLY, ErrOutside},
		{"empty", "", os.O_RDONLY, ErrOutside},
		{"missing", "dir/nope", os.O_RDONLY, os.ErrNotExist},
		{"create through absolute link", "abslink", os.O_WRONLY | os.O_CREATE | os.O_TRUNC, ErrLink},
		{"create through link in the middle", "linkdir/new", os.O_WRONLY | os.O_CREATE, ErrLink},
	}
	bothLookups(t, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				d, victim := tree(t)
				f, err := d.OpenFile(tc.path, tc.flag, 0o644)
				if tc.want != nil {
					if !errors.Is(err, tc.want) {
						t.Fatalf("OpenFile(%q) = %v, want %v", tc.path, err, tc.want)
					}
					unchanged(t, victim)
					if _, err := os.Lstat(filepath.Join(d.Path(), "dir", "new")); err == nil {
						t.Error("a file was created through a link")
					}
					return
				}
				if err != nil {
					t.Fatalf("OpenFile(%q) = %v", tc.path, err)
				}
				defer f.Close()
				if b, _ := io.ReadAll(f); string(b) != "inside" {
					t.Errorf("read %q, want %q", b, "inside")
				}
			})
		}
	})
}

func TestOpenRefusesLinkedRoot(t *testing.T) {
	d, _ := tree(t)
	if _, err := Open(filepath.Join(d.Path(), "linkdir")); !errors.Is(err, ErrLink) {
		t.Errorf("Open(link to a directory) = %v, want ErrLink", err)
	}
	if sub, err := Open(filepath.Join(d.Path(), "dir")); err != nil {
		t.Errorf("Open(directory) = %v", err)
	} else {
		sub.Close()
	}
	if _, err := d.OpenDir("linkdir"); !errors.Is(err, ErrLink) {
		t.Errorf("OpenDir(link) = %v, want ErrLink", err)
	}
}

func TestOpenExisting(t *testing.T) {
	euid := os.Geteuid()
	cases := []struct {
		name  string
		setup func(t *testing.T, root string) // optional, before opening
		path  string
		flag  int
		want  Want
		err   error
	}{
		{name: "own regular file", path: "dir/file", want: Want{Owner: euid}},
		{name: "any owner", path: "dir/file", want: Want{Owner: AnyOwner}},
		{name: "hard link to a root-only file", path: "hard", want: Want{Owner: euid}, err: ErrHardLinked},
		{name: "hard link, any owner", path: "hard", want: Want{Owner: AnyOwner}, err: ErrHardLinked},
		{name: "symbolic link", path: "abslink", want: Want{Owner: AnyOwner}, err: ErrLink},
		{name: "link in the middle", path: "linkdir/file", want: Want{Owner: AnyOwner}, err: ErrLink},
		{name: "fifo for a file", path: "fifo", flag: os.O_WRONLY, want: Want{Owner: AnyOwner}, err: ErrFileType},
		{name: "fifo for a fifo", path: "fifo", flag: os.O_RDONLY | unix.O_NONBLOCK, want: Want{Type: os.ModeNamedPipe, Owner: euid}},
		{name: "directory for a file", path: "dir", want: Want{Owner: AnyOwner}, err: ErrFileType},
		{
			name: "someone else's file", path: "dir/file", want: Want{Owner: euid}, err: ErrOwner,
			setup: func(t *testing.T, root string) {
				if euid != 0 {
					t.Skip("chown needs root")
				}
				must(t, os.Chown(filepath.Join(root, "dir", "file"), 65534, 65534))
			},
		},
		{
			name: "device", path: "dev", flag: os.O_WRONLY, want: Want{Owner: AnyOwner}, err: ErrFileType,
			setup: func(t *testing.T, root string) {
				if err := unix.Mknod(filepath.Join(root, "dev"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
					t.Skipf("mknod: %v", err)
				}
			},
		},
	}
	bothLookups(t, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				d, victim := tree(t)
				if tc.setup != nil {
					tc.setup(t, d.Path())
				}
				f, err := d.OpenExisting(tc.path, tc.flag, tc.want)
				if !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
					t.Fatalf("OpenExisting(%q, %+v) = %v, want %v", tc.path, tc.want, err, tc.err)
				}
				if f != nil {
					f.Close()
				}
				unchanged(t, victim)
			})
		}
	})
}

func TestOpenExistingRejectsCreate(t *testing.T) {
	d, _ := tree(t)
	if _, err := d.OpenExisting("dir/file", os.O_WRONLY|os.O_CREATE, Want{Owner: AnyOwner}); err == nil {
		t.Error("OpenExisting with O_CREATE succeeded")
	}
}

func TestMkdirAll(t *testing.T) {
	bothLookups(t, func(t *testing.T) {
		d, victim := tree(t)
		if err := d.MkdirAll("a/b/c", 0o755); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(d.Path(), "a", "b", "c")); err != nil || !fi.IsDir() {
			t.Fatalf("a/b/c not created: %v", err)
		}
		if err := d.MkdirAll("a/b/c", 0o755); err != nil {
			t.Errorf("MkdirAll of an existing directory = %v", err)
		}
		for _, p := range []string{"linkdir/x", "dotdot/x", "abslink", "filelink/x"} {
			if err := d.MkdirAll(p, 0o755); !errors.Is(err, ErrLink) {
				t.Errorf("MkdirAll(%q) = %v, want ErrLink", p, err)
			}
		}
		if err := d.MkdirAll("dir/file/x", 0o755); err == nil {
			t.Error("MkdirAll below a regular file succeeded")
		}
		for _, p := range []string{filepath.Join(d.Path(), "dir", "x"), filepath.Join(filepath.Dir(d.Path()), "x")} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s created through a link", p)
			}
		}
		unchanged(t, victim)
	})
}

func TestChmodChown(t *testing.T) {
	d, victim := tree(t)
	must(t, d.Chmod("dir", 0o777|os.ModeSticky))
	if fi, _ := os.Stat(filepath.Join(d.Path(), "dir")); fi.Mode() != os.ModeDir|os.ModeSticky|0o777 {
		t.Errorf("dir mode = %v, want drwxrwxrwt", fi.Mode())
	}
	for _, p := range []string{"abslink", "rellink", "linkdir/file"} {
		if err := d.Chmod(p, 0o777); !errors.Is(err, ErrLink) {
			t.Errorf("Chmod(%q) = %v, want ErrLink", p, err)
		}
		if err := d.Chown(p, 65534, 65534); !errors.Is(err, ErrLink) {
			t.Errorf("Chown(%q) = %v, want ErrLink", p, err)
		}
	}
	unchanged(t, victim)
	if fi, _ := os.Stat(victim); fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
		t.Errorf("victim's owner changed")
	}
	if os.Geteuid() == 0 {
		must(t, d.Chown("dir/file", 65534, 65534))
		if fi, _ := os.Stat(filepath.Join(d.Path(), "dir", "file")); fi.Sys().(*syscall.Stat_t).Uid != 65534 {
			t.Error("Chown did not change the owner")
		}
	}
}

func TestRemoveRenameMkfifoStat(t *testing.T) {
	d, victim := tree(t)
	must(t, d.Remove("abslink"))
	unchanged(t, victim)
	if _, err := os.Lstat(filepath.Join(d.Path(), "abslink")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link still there: %v", err)
	}
	if err := d.Remove("linkdir/file"); !errors.Is(err, ErrLink) {
		t.Errorf("Remove through a link = %v, want ErrLink", err)
	}
	must(t, d.Rename("dir/file", "rellink")) // replaces the link, not its target
	unchanged(t, victim)
	if b, _ := os.ReadFile(filepath.Join(d.Path(), "rellink")); string(b) != "inside" {
		t.Errorf("renamed file = %q", b)
	}
	must(t, d.Mkfifo("p", 0o600))
	if err := d.Mkfifo("filelink", 0o600); !errors.Is(err, os.ErrExist) {
		t.Errorf("Mkfifo over a link = %v, want exists", err)
	}
	if fi, err := d.Stat("p"); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("Stat(fifo) = %v, %v", fi, err)
	}
	if _, err := d.Stat("filelink"); !errors.Is(err, ErrLink) {
		t.Errorf("Stat(link) = %v, want ErrLink", err)
	}
	entries, err := d.ReadDir(".")
	if err != nil || len(entries) == 0 {
		t.Errorf("ReadDir = %d entries, %v", len(entries), err)
	}
	if _, err := d.ReadDir("linkdir"); !errors.Is(err, ErrLink) {
		t.Errorf("ReadDir(link) = %v, want ErrLink", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	cases := []struct {
		name, path string
		err        error
	}{
		{"new file", "out/new.txt", nil},
		{"over a final absolute link", "abslink", nil}, // the link is replaced
		{"over a final relative link", "rellink", nil},
		{"through a linked directory", "linkdir/new.txt", ErrLink},
		{"through a link to the parent", "dotdot/outside/victim", ErrLink},
		{"dot dot", "../outside/victim", ErrOutside},
	}
	bothLookups(t, func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				d, victim := tree(t)
				err := d.WriteFileAtomic(tc.path, []byte("data"), 0o640)
				if !errors.Is(err, tc.err) || (err != nil) != (tc.err != nil) {
					t.Fatalf("WriteFileAtomic(%q) = %v, want %v", tc.path, err, tc.err)
				}
				unchanged(t, victim)
				if tc.err != nil {
					return
				}
				p := filepath.Join(d.Path(), tc.path)
				fi, err := os.Lstat(p)
				if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o640 {
					t.Fatalf("%s = %v, %v; want a regular 0640 file", tc.path, fi, err)
				}
				if b, _ := os.ReadFile(p); string(b) != "data" {
					t.Errorf("%s = %q", tc.path, b)
				}
				left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".tmp-*"))
				if len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			})
		}
	})
}
