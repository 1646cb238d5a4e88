package allocdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Directory names inside an allocation directory.
const (
	SharedAllocName = "alloc"
	SharedDataName  = "data"
	LogDirName      = "logs"
	TmpDirName      = "tmp"
	TaskLocal       = "local"
	TaskSecrets     = "secrets"
)

// ErrEscapes is returned for a path that leaves the allocation directory.
var ErrEscapes = errors.New("path escapes the allocation directory")

// AllocDir is one allocation's directory tree.
type AllocDir struct {
	// Dir is <data_dir>/alloc/<alloc_id>.
	Dir string
}

// New returns the AllocDir of allocID under allocsRoot (<data_dir>/alloc).
// Nothing is created until Build.
func New(allocsRoot, allocID string) *AllocDir {
	return &AllocDir{Dir: filepath.Join(allocsRoot, allocID)}
}

// SharedDir is the "alloc" directory shared by all tasks.
func (d *AllocDir) SharedDir() string { return filepath.Join(d.Dir, SharedAllocName) }

// LogDir is where tasks' rotated log files live.
func (d *AllocDir) LogDir() string { return filepath.Join(d.Dir, SharedAllocName, LogDirName) }

// TaskDir is a task's directories.
type TaskDir struct {
	Dir        string
	LocalDir   string
	SecretsDir string
	TmpDir     string
}

// TaskDir returns the directories of task (not created until BuildTask).
func (d *AllocDir) TaskDir(task string) TaskDir {
	td := filepath.Join(d.Dir, task)
	return TaskDir{
		Dir:        td,
		LocalDir:   filepath.Join(td, TaskLocal),
		SecretsDir: filepath.Join(td, TaskSecrets),
		TmpDir:     filepath.Join(td, TmpDirName),
	}
}

// Build creates the shared directories. It is idempotent.
func (d *AllocDir) Build() error {
	dirs := []struct {
		path string
		mode os.FileMode
	}{
		{d.Dir, 0o755},
		{d.SharedDir(), 0o755},
		{filepath.Join(d.SharedDir(), SharedDataName), 0o777},
		{d.LogDir(), 0o777},
		{filepath.Join(d.SharedDir(), TmpDirName), 0o777 | os.ModeSticky},
	}
	for _, x := range dirs {
		if err := mkdir(x.path, x.mode); err != nil {
			return err
		}
	}
	return nil
}

// BuildTask creates task's directories. It is idempotent.
func (d *AllocDir) BuildTask(task string) (TaskDir, error) {
	if task == "" || task == SharedAllocName || strings.ContainsAny(task, `/\`) || task == "." || task == ".." {
		return TaskDir{}, fmt.Errorf("task name %q cannot name a directory", task)
	}
	td := d.TaskDir(task)
	dirs := []struct {
		path string
		mode os.FileMode
	}{
		{td.Dir, 0o755},
		{td.LocalDir, 0o777},
		{td.SecretsDir, 0o700},
		{td.TmpDir, 0o777 | os.ModeSticky},
	}
	for _, x := range dirs {
		if err := mkdir(x.path, x.mode); err != nil {
			return TaskDir{}, err
		}
	}
	return td, nil
}

func mkdir(path string, mode os.FileMode) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	// MkdirAll is subject to the umask; set the intended mode explicitly.
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}

// Destroy removes the whole allocation directory.
func (d *AllocDir) Destroy() error {
	if err := os.RemoveAll(d.Dir); err != nil {
		return fmt.Errorf("destroy alloc dir: %w", err)
	}
	return nil
}

// Resolve joins rel (a path from a job file, relative to base, which must be
// inside the allocation directory) and checks that the result stays inside
// the allocation directory, following any symbolic links of the part that
// already exists. Absolute rel paths are taken relative to base, as Nomad
// does for template destinations. The returned path is absolute and clean.
func (d *AllocDir) Resolve(base, rel string) (string, error) {
	root, err := filepath.Abs(d.Dir)
	if err != nil {
		return "", err
	}
	joined := filepath.Join(base, rel)
	if !within(root, joined) {
		return "", fmt.Errorf("%q: %w", rel, ErrEscapes)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("resolve alloc dir: %w", err)
	}
	// Walk up to the longest prefix that exists and resolve its links; what
	// does not exist yet cannot be a link.
	existing := joined
	var rest []string
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = append([]string{filepath.Base(existing)}, rest...)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("%q: %w", rel, err)
	}
	if !within(realRoot, real) {
		return "", fmt.Errorf("%q resolves through a symbolic link to %s: %w", rel, real, ErrEscapes)
	}
	return filepath.Join(append([]string{real}, rest...)...), nil
}

// within reports whether path is root or below it (both clean and absolute).
func within(root, path string) bool {
	if path == root {
		return true
	}
	return strings.HasPrefix(path, root+string(filepath.Separator))
}
