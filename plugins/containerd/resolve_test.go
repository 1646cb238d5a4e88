package containerd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenBeneath(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"task/local/data", "alloc/data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"task/local/abs":    "/",
		"task/local/up":     "../../..",
		"task/local/inside": "../../alloc/data",
		"task/local/etc":    "/etc",
		"task/local/proc":   "/proc/self/root",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		src     string
		escapes bool
	}{
		{"local/data", false},
		{"local/inside", false},
		{"../alloc/data", false},
		{".", false},
		{"local/abs", true},
		{"local/etc", true},
		{"local/proc", true},
		{"local/up", true},
		{"local/up/etc/shadow", true},
		{"../..", true},
		{"local/../../../etc", true},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			r, rel := taskRelative(root, filepath.Join(root, "task"), tc.src)
			f, err := openBeneath(r, rel, unix.O_PATH)
			if err == nil {
				f.Close()
			}
			if escaped := err != nil && strings.Contains(err.Error(), ErrPathEscapes.Error()); escaped != tc.escapes {
				t.Errorf("openBeneath(%s) = %v, want escape %v", tc.src, err, tc.escapes)
			}
			if !tc.escapes && err != nil {
				t.Errorf("openBeneath(%s) = %v, want it opened", tc.src, err)
			}
		})
	}
}

// A source swapped for a symlink after the driver resolved it: the staged
// path still shows the directory the driver opened, not the link's target.
func TestBindStageHoldsTheResolvedDirectory(t *testing.T) {
	alloc := t.TempDir()
	data := filepath.Join(alloc, "task", "local", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "mine"), []byte("task data"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, rel := taskRelative(alloc, filepath.Join(alloc, "task"), "local/data")
	f, err := openBeneath(root, rel, unix.O_PATH)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// The swap: data becomes a link to the host's /etc.
	if err := os.Rename(data, data+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", data); err != nil {
		t.Fatal(err)
	}

	stage := newBindStage(filepath.Join(t.TempDir(), "stage", "ctr"))
	staged, err := stage.add(f)
	if err != nil {
		t.Fatalf("stage.add: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(staged, "mine"))
	if err != nil || string(b) != "task data" {
		t.Errorf("staged %s holds %q, %v; want the resolved directory's file", staged, b, err)
	}
	if _, err := os.Stat(filepath.Join(staged, "passwd")); err == nil {
		t.Errorf("staged %s shows the host's /etc", staged)
	}
	stage.release()
	if _, err := os.Stat(stage.dir); !os.IsNotExist(err) {
		t.Errorf("stage dir after release: %v, want removed", err)
	}
	if b, err := os.ReadFile(filepath.Join(data+".moved", "mine")); err != nil || string(b) != "task data" {
		t.Errorf("source after release = %q, %v; release must not delete through the mount", b, err)
	}
}
