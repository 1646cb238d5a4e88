package logging

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers/beneath"
)

// files returns name -> content of every file in dir.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestFileRotator(t *testing.T) {
	cases := []struct {
		name     string
		maxFiles int
		maxBytes int64
		writes   []string
		want     map[string]string
	}{
		{
			name: "fits in one file", maxFiles: 3, maxBytes: 10,
			writes: []string{"abc", "def"},
			want:   map[string]string{"web.stdout.0": "abcdef"},
		},
		{
			name: "exactly full stays in one file", maxFiles: 3, maxBytes: 4,
			writes: []string{"abcd"},
			want:   map[string]string{"web.stdout.0": "abcd"},
		},
		{
			name: "a write is split at the size", maxFiles: 3, maxBytes: 4,
			writes: []string{"abcdef"},
			want:   map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "ef"},
		},
		{
			name: "oldest files are deleted", maxFiles: 2, maxBytes: 2,
			writes: []string{"aa", "bb", "cc", "d"},
			want:   map[string]string{"web.stdout.2": "cc", "web.stdout.3": "d"},
		},
		{
			name: "one big write over many files", maxFiles: 3, maxBytes: 3,
			writes: []string{"0123456789abcdef"},
			want:   map[string]string{"web.stdout.3": "9ab", "web.stdout.4": "cde", "web.stdout.5": "f"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := NewFileRotator(dir, "web.stdout", tc.maxFiles, tc.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				if n, err := r.Write([]byte(w)); err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if got := files(t, dir); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFileRotatorContinuesExistingFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"web.stdout.3": "aaa", "web.stdout.4": "b", "web.stdout.x": "junk", "web.stderr.9": "other"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewFileRotator(dir, "web.stdout", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("cdef")); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	want := map[string]string{"web.stdout.4": "bcd", "web.stdout.5": "ef", "web.stdout.x": "junk", "web.stderr.9": "other"}
	if got := files(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}

func TestFileRotatorBounds(t *testing.T) {
	cases := []struct {
		name     string
		maxFiles int
		maxBytes int64
		want     string
	}{
		{"no files", 0, 10, "max_files"},
		{"no size", 1, 0, "max_file_size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFileRotator(t.TempDir(), "x", tc.maxFiles, tc.maxBytes)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("NewFileRotator = %v, want error naming %s", err, tc.want)
			}
		})
	}
}

// TestFileRotatorManyWrites checks the invariants over a long run: no file
// over the size, at most maxFiles files, consecutive numbers, content kept
// in order.
func TestFileRotatorManyWrites(t *testing.T) {
	dir := t.TempDir()
	const maxFiles, maxBytes = 4, 100
	r, err := NewFileRotator(dir, "t.stderr", maxFiles, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for i := range 300 {
		chunk := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i%37)
		all.Write(chunk)
		if _, err := r.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	_ = r.Close()
	got := files(t, dir)
	if len(got) != maxFiles {
		t.Fatalf("%d files, want %d", len(got), maxFiles)
	}
	var names []string
	for n, c := range got {
		names = append(names, n)
		if len(c) > maxBytes {
			t.Errorf("%s has %d bytes, over %d", n, len(c), maxBytes)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		return len(names[i]) < len(names[j]) || len(names[i]) == len(names[j]) && names[i] < names[j]
	})
	var tail string
	for _, n := range names {
		tail += got[n]
	}
	if !bytes.HasSuffix(all.Bytes(), []byte(tail)) {
		t.Errorf("kept files are not the tail of what was written")
	}
}

// TestFileRotatorRefusesPlantedFiles: a task that can write to the log
// directory plants links and other files at the names the rotator continues
// or rotates to; the rotator must write only to regular files it created,
// and never to the victim.
func TestFileRotatorRefusesPlantedFiles(t *testing.T) {
	const secret = "root-only\n"
	cases := []struct {
		name  string
		plant func(t *testing.T, dir, victim string) // before NewFileRotator
		next  func(t *testing.T, dir, victim string) // after it, before the writes
		want  map[string]string                      // regular files after writing "abcdefgh" (4-byte files)
	}{
		{
			name: "symbolic link as the file to continue",
			plant: func(t *testing.T, dir, victim string) {
				mustDo(t, os.Symlink(victim, filepath.Join(dir, "web.stdout.0")))
			},
			want: map[string]string{"web.stdout.1": "abcd", "web.stdout.2": "efgh"},
		},
		{
			name: "hard link as the file to continue",
			plant: func(t *testing.T, dir, victim string) {
				mustDo(t, os.Link(victim, filepath.Join(dir, "web.stdout.3")))
			},
			want: map[string]string{"web.stdout.3": secret, "web.stdout.4": "abcd", "web.stdout.5": "efgh"}, // the link is left alone
		},
		{
			name: "someone else's file to continue",
			plant: func(t *testing.T, dir, victim string) {
				if os.Geteuid() != 0 {
					t.Skip("chown needs root")
				}
				p := filepath.Join(dir, "web.stdout.0")
				mustDo(t, os.WriteFile(p, []byte("x"), 0o666))
				mustDo(t, os.Chown(p, 65534, 65534))
			},
			want: map[string]string{"web.stdout.0": "x", "web.stdout.1": "abcd", "web.stdout.2": "efgh"},
		},
		{
			name: "fifo as the file to continue",
			plant: func(t *testing.T, dir, victim string) {
				mustDo(t, unix.Mkfifo(filepath.Join(dir, "web.stdout.0"), 0o666))
			},
			want: map[string]string{"web.stdout.1": "abcd", "web.stdout.2": "efgh"},
		},
		{
			name: "symbolic link as the next file",
			next: func(t *testing.T, dir, victim string) {
				mustDo(t, os.Symlink(victim, filepath.Join(dir, "web.stdout.1")))
			},
			want: map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "efgh"},
		},
		{
			name: "fifo as the next file",
			next: func(t *testing.T, dir, victim string) {
				mustDo(t, unix.Mkfifo(filepath.Join(dir, "web.stdout.1"), 0o666))
			},
			want: map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "efgh"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(t.TempDir(), "victim")
			mustDo(t, os.WriteFile(victim, []byte(secret), 0o600))
			if tc.plant != nil {
				tc.plant(t, dir, victim)
			}
			r, err := NewFileRotator(dir, "web.stdout", 10, 4)
			if err != nil {
				t.Fatal(err)
			}
			if tc.next != nil {
				tc.next(t, dir, victim)
			}
			if n, err := r.Write([]byte("abcdefgh")); err != nil || n != 8 {
				t.Fatalf("Write = %d, %v", n, err)
			}
			mustDo(t, r.Close())
			if b, err := os.ReadFile(victim); err != nil || string(b) != secret {
				t.Fatalf("victim = %q, %v; want it unchanged", b, err)
			}
			if got := regularFiles(t, dir); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFileRotatorRefusesLinkedDir(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "logs")
	mustDo(t, os.Symlink(real, link))
	if _, err := NewFileRotator(link, "web.stdout", 1, 10); !errors.Is(err, beneath.ErrLink) {
		t.Fatalf("NewFileRotator(link to a dir) = %v, want beneath.ErrLink", err)
	}
	for _, base := range []string{"", "..", "a/b"} {
		if _, err := NewFileRotator(real, base, 1, 10); err == nil {
			t.Errorf("NewFileRotator(base %q) succeeded", base)
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// regularFiles returns name -> content of the regular files in dir (links
// and FIFOs are left out, and never followed).
func regularFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}
