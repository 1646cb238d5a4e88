package drivers

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDiscoverPlugins(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("hello", 0o755)
	write("notexec", 0o644)
	write(".hidden", 0o755)
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "hello"), filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}

	got, err := DiscoverPlugins(dir)
	if err != nil {
		t.Fatalf("DiscoverPlugins: %v", err)
	}
	want := map[string]string{"hello": filepath.Join(dir, "hello"), "alias": filepath.Join(dir, "alias")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DiscoverPlugins(%s) = %v, want %v", dir, got, want)
	}

	if _, err := DiscoverPlugins(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("DiscoverPlugins(missing) = %v, want fs.ErrNotExist", err)
	}
}
