package allocfs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike/client/allocfs"
)

// allocTree builds an allocation directory with a task "web" whose local
// directory holds a file, and links planted to a secret outside (symbolic
// and hard) and to the secrets directory.
func allocTree(t *testing.T) (*allocfs.FS, string) {
	t.Helper()
	outside := filepath.Join(t.TempDir(), "shadow")
	must(t, os.WriteFile(outside, []byte("SECRET-OUTSIDE"), 0o600))
	dir := t.TempDir()
	for _, d := range []string{"alloc/logs", "web/local/sub", "web/secrets"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(dir, "web/local/hello.txt"), []byte("hello world"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "web/secrets/token"), []byte("SECRET-TOKEN"), 0o600))
	must(t, os.Symlink(outside, filepath.Join(dir, "web/local/shadow")))
	must(t, os.Symlink("/", filepath.Join(dir, "web/local/root")))
	must(t, os.Symlink("../secrets", filepath.Join(dir, "web/local/sec")))
	must(t, os.Link(outside, filepath.Join(dir, "web/local/hard")))
	fsys, err := allocfs.Open(dir)
	must(t, err)
	t.Cleanup(func() { fsys.Close() })
	return fsys, dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefuses(t *testing.T) {
	fsys, _ := allocTree(t)
	cases := []struct {
		name, path string
		want       error
	}{
		{"link to a host file", "/web/local/shadow", allocfs.ErrRefused},
		{"through a link to /", "web/local/root/etc/passwd", allocfs.ErrRefused},
		{"through a link to secrets", "web/local/sec/token", allocfs.ErrRefused},
		{"dot dot", "web/local/../../../etc/passwd", allocfs.ErrBadPath},
		{"dot dot at the root", "../shadow", allocfs.ErrBadPath},
		{"secrets directory", "/web/secrets/token", allocfs.ErrRefused},
		{"a directory", "/web/local", allocfs.ErrRefused},
		{"hard link", "/web/local/hard", allocfs.ErrRefused},
		{"missing", "/web/local/nope", os.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := fsys.Open(tc.path)
			if err == nil {
				b, _ := io.ReadAll(f)
				f.Close()
				t.Fatalf("Open(%q) read %q, want %v", tc.path, b, tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Open(%q) = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
}

func TestListAndStat(t *testing.T) {
	fsys, dir := allocTree(t)
	must(t, os.Remove(filepath.Join(dir, "web/local/hard")))
	infos, err := fsys.List("/web/local")
	must(t, err)
	var got []string
	for _, fi := range infos {
		got = append(got, fmt.Sprintf("%s:%s:%v", fi.Name, fi.FileMode[:1], fi.IsDir))
	}
	want := "hello.txt:-:false root:L:false sec:L:false shadow:L:false sub:d:true"
	if strings.Join(got, " ") != want {
		t.Errorf("List(/web/local) = %v, want %s", got, want)
	}
	if _, err := fsys.List("/web/local/root"); !errors.Is(err, allocfs.ErrRefused) {
		t.Errorf("List through a link = %v, want ErrRefused", err)
	}
	if _, err := fsys.List("/web/secrets"); !errors.Is(err, allocfs.ErrRefused) {
		t.Errorf("List(secrets) = %v, want ErrRefused", err)
	}
	fi, err := fsys.Stat("/web/local/hello.txt")
	must(t, err)
	if fi.Size != 11 || fi.ContentType != "text/plain; charset=utf-8" || fi.IsDir {
		t.Errorf("Stat(hello.txt) = %+v", fi)
	}
	fi, err = fsys.Stat("web/local/shadow")
	must(t, err)
	if !strings.HasPrefix(fi.FileMode, "L") || fi.ContentType != "" {
		t.Errorf("Stat(link) = %+v, want the link itself, unread", fi)
	}
	if fi, err = fsys.Stat("/"); err != nil || !fi.IsDir {
		t.Errorf("Stat(/) = %+v, %v", fi, err)
	}
}

func TestListTooLarge(t *testing.T) {
	fsys, dir := allocTree(t)
	big := filepath.Join(dir, "alloc/data")
	must(t, os.MkdirAll(big, 0o755))
	for i := 0; i <= allocfs.MaxListEntries; i++ {
		f, err := os.Create(filepath.Join(big, fmt.Sprint(i)))
		must(t, err)
		f.Close()
	}
	if _, err := fsys.List("/alloc/data"); !errors.Is(err, allocfs.ErrTooManyEntries) {
		t.Errorf("List of %d entries = %v, want ErrTooManyEntries", allocfs.MaxListEntries+1, err)
	}
}

func TestStream(t *testing.T) {
	fsys, _ := allocTree(t)
	f, err := fsys.Open("/web/local/hello.txt")
	must(t, err)
	defer f.Close()
	cases := []struct {
		name string
		o    allocfs.StreamOptions
		want string
	}{
		{"whole", allocfs.StreamOptions{Name: "x"}, "hello world"},
		{"offset", allocfs.StreamOptions{Name: "x", Offset: 6}, "world"},
		{"from end", allocfs.StreamOptions{Name: "x", Offset: 5, FromEnd: true}, "world"},
		{"small frames", allocfs.StreamOptions{Name: "x", FrameSize: 2}, "hello world"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			err := allocfs.Stream(context.Background(), f, tc.o, func(fr allocfs.Frame) error {
				if fr.File != "x" || fr.Offset != tc.o.Offset+int64(len(got)) && !tc.o.FromEnd {
					t.Errorf("frame %+v after %d bytes", fr, len(got))
				}
				got = append(got, fr.Data...)
				return nil
			})
			if err != nil || string(got) != tc.want {
				t.Errorf("Stream = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestStreamFollowEvents: a followed file that is truncated is reported
// ("file truncated") and sent again from its start; one that is removed
// ends the stream ("file deleted"). The test changes the file from the
// emit callback, so every step happens between two polls.
func TestStreamFollowEvents(t *testing.T) {
	fsys, dir := allocTree(t)
	host := filepath.Join(dir, "web/local/hello.txt")
	f, err := fsys.Open("web/local/hello.txt")
	must(t, err)
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	o := allocfs.StreamOptions{Name: "web/local/hello.txt", Follow: true, PollInterval: time.Millisecond}
	err = allocfs.Stream(ctx, f, o, func(fr allocfs.Frame) error {
		switch {
		case fr.FileEvent != "":
			got = append(got, fr.FileEvent)
		case len(fr.Data) > 0:
			got = append(got, string(fr.Data))
		}
		switch len(got) {
		case 1: // "hello world": cut it short
			must(t, os.Truncate(host, 0))
			fh, err := os.OpenFile(host, os.O_WRONLY, 0)
			must(t, err)
			_, err = fh.WriteString("new")
			must(t, err)
			fh.Close()
		case 3: // "new": remove it
			must(t, os.Remove(host))
		}
		return nil
	})
	want := "hello world|file truncated|new|file deleted"
	if err != nil || strings.Join(got, "|") != want {
		t.Errorf("Stream = %q, %v; want %s", got, err, want)
	}
}
