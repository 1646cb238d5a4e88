package allocdir

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nomadlike/nomadlike/drivers/beneath"
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

// dirSpec is one directory of the tree, relative to the alloc dir.
type dirSpec struct {
	rel  string
	mode os.FileMode
}

// Build creates the shared directories. It is idempotent, and sets every
// directory's mode again (so a tree from an older version, whose logs
// directory was 0777, gets today's modes). alloc/logs belongs to the agent's
// user with mode 0755: tasks can read their logs but not create, remove or
// replace a file there (drivers write logs from the plugin process).
func (d *AllocDir) Build() error {
	if err := mkdir(d.Dir); err != nil {
		return fmt.Errorf("create %s: %w", d.Dir, err)
	}
	return d.build([]dirSpec{
		{".", 0o755},
		{SharedAllocName, 0o755},
		{path.Join(SharedAllocName, SharedDataName), 0o777},
		{path.Join(SharedAllocName, LogDirName), 0o755},
		{path.Join(SharedAllocName, TmpDirName), 0o777 | os.ModeSticky},
	}, path.Join(SharedAllocName, LogDirName))
}

// mkdir makes dir, and its parents only when they are missing: one
// mkdir(2) where os.MkdirAll stats the path and its parent first.
func mkdir(dir string) error {
	err := os.Mkdir(dir, 0o755)
	switch {
	case err == nil || errors.Is(err, os.ErrExist):
		return nil
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	}
	return err
}

// BuildTask creates task's directories. It is idempotent.
func (d *AllocDir) BuildTask(task string) (TaskDir, error) {
	if task == "" || task == SharedAllocName || strings.ContainsAny(task, `/\`) || task == "." || task == ".." {
		return TaskDir{}, fmt.Errorf("task name %q cannot name a directory", task)
	}
	err := d.build([]dirSpec{
		{task, 0o755},
		{path.Join(task, TaskLocal), 0o777},
		{path.Join(task, TaskSecrets), 0o700},
		{path.Join(task, TmpDirName), 0o777 | os.ModeSticky},
	}, "")
	if err != nil {
		return TaskDir{}, err
	}
	return d.TaskDir(task), nil
}

// build creates and chmods dirs beneath the alloc dir's descriptor, so a
// link a task planted in a directory it can write to is refused rather than
// followed (a chmod 0777 through it would open up any host directory), and
// makes own belong to the agent's user. dirs lists parents before their
// children; each directory is made and chmodded from its parent's open
// descriptor, so a path is never walked from the top again (a thousand
// allocations starting at once make nine thousand directories).
func (d *AllocDir) build(dirs []dirSpec, own string) error {
	root, err := beneath.Open(d.Dir)
	if err != nil {
		return fmt.Errorf("alloc dir: %w", err)
	}
	open := map[string]*beneath.Dir{".": root}
	defer func() {
		for _, dir := range open {
			_ = dir.Close()
		}
	}()
	for i, x := range dirs {
		parent, base := root, x.rel
		if x.rel != "." {
			p, ok := open[path.Dir(x.rel)]
			if !ok {
				return fmt.Errorf("alloc dir: %s: parent not made first", x.rel)
			}
			parent, base = p, path.Base(x.rel)
			if err := parent.MkdirAll(base, 0o755); err != nil {
				return err
			}
		}
		// MkdirAll is subject to the umask; set the intended mode explicitly.
		if err := parent.Chmod(base, x.mode); err != nil {
			return err
		}
		if x.rel == own {
			if err := parent.Chown(base, os.Geteuid(), os.Getegid()); err != nil {
				return err
			}
		}
		if x.rel != "." && hasChild(dirs[i+1:], x.rel) {
			sub, err := parent.OpenDir(base)
			if err != nil {
				return err
			}
			open[x.rel] = sub
		}
	}
	return nil
}

// hasChild reports whether one of dirs is directly below rel.
func hasChild(dirs []dirSpec, rel string) bool {
	for _, x := range dirs {
		if path.Dir(x.rel) == rel {
			return true
		}
	}
	return false
}

// Open opens the allocation directory for work beneath it that must not
// follow a link a task planted (see package drivers/beneath). The caller
// closes it.
func (d *AllocDir) Open() (*beneath.Dir, error) {
	root, err := beneath.Open(d.Dir)
	if err != nil {
		return nil, fmt.Errorf("alloc dir: %w", err)
	}
	return root, nil
}

// RelPath joins rel (a path from a job file, relative to base, which must be
// inside the allocation directory; an absolute rel is taken relative to base,
// as Nomad does for template destinations) and returns it relative to the
// allocation directory, for the methods of the Dir that Open returns. It
// fails with ErrEscapes when the joined path leaves the allocation
// directory; it looks at no file, so links are for the Dir to refuse.
func (d *AllocDir) RelPath(base, rel string) (string, error) {
	root, err := filepath.Abs(d.Dir)
	if err != nil {
		return "", err
	}
	joined, err := filepath.Abs(filepath.Join(base, rel))
	if err != nil {
		return "", err
	}
	if !within(root, joined) {
		return "", fmt.Errorf("%q: %w", rel, ErrEscapes)
	}
	out, err := filepath.Rel(root, joined)
	if err != nil {
		return "", fmt.Errorf("%q: %w", rel, ErrEscapes)
	}
	return filepath.ToSlash(out), nil
}

// Destroy removes the whole allocation directory without following any
// link a task planted and without descending into a mount (see
// beneath.RemoveAll); the tasks must be stopped and their driver resources
// released first.
func (d *AllocDir) Destroy() error {
	if err := beneath.RemoveTree(d.Dir); err != nil {
		return fmt.Errorf("destroy alloc dir: %w", err)
	}
	return nil
}

// Resolve joins rel (a path from a job file, relative to base, which must be
// inside the allocation directory) and checks that the result stays inside
// the allocation directory, following any symbolic links of the part that
// already exists. A task can change a link after Resolve looked at it: to
// open or create the file, use RelPath and the Dir of Open instead. Absolute rel paths are taken relative to base, as Nomad
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
