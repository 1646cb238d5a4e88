package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
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
