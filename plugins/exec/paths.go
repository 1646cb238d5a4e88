package exec

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nomadlike/nomadlike/drivers"
)

// ErrPathEscape is returned when a task directory leaves the allocation
// directory, through ".." or a symlink.
var ErrPathEscape = errors.New("path escapes the allocation directory")

// checkInside verifies that p (absolute, clean) lies inside root and that no
// existing component below root is a symlink.
func checkInside(root, p, field string) error {
	if p == "" {
		return fmt.Errorf("%s: required", field)
	}
	if !filepath.IsAbs(p) {
		return fmt.Errorf("%s: %q must be absolute", field, p)
	}
	if hasDotDot(filepath.ToSlash(p)) {
		return fmt.Errorf("%s: %q: %w", field, p, ErrPathEscape)
	}
	rel, err := filepath.Rel(root, filepath.Clean(p))
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("%s: %q is not inside %q: %w", field, p, root, ErrPathEscape)
	}
	cur := root
	for _, elem := range strings.Split(rel, string(filepath.Separator)) {
		if elem == "." {
			continue
		}
		cur = filepath.Join(cur, elem)
		fi, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s: %q is a symlink: %w", field, cur, ErrPathEscape)
		}
	}
	return nil
}

// credential is the task's user on the host.
type credential struct {
	name   string
	uid    int
	gid    int
	groups []int
}

// defaultUser runs tasks that name no user, as Nomad's exec driver.
const defaultUser = "nobody"

// lookupUser resolves the task's user on the host (not in the chroot).
func lookupUser(name string) (credential, error) {
	if name == "" {
		name = defaultUser
	}
	u, err := user.Lookup(name)
	if err != nil {
		return credential{}, fmt.Errorf("user: %q: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return credential{}, fmt.Errorf("user: %q: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return credential{}, fmt.Errorf("user: %q: gid %q: %w", name, u.Gid, err)
	}
	c := credential{name: name, uid: uid, gid: gid, groups: []int{gid}}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil && g != gid {
				c.groups = append(c.groups, g)
			}
		}
	}
	return c, nil
}

// taskBinds validates the task's directories and returns the bind mounts of
// its chroot: the chroot_env entries (read-only; missing host paths are
// skipped), then /alloc, /local and /secrets. The task's local and secrets
// directories are created if missing and owned by the task's user.
func taskBinds(cfg *drivers.TaskConfig, ps *pluginSettings, cred credential) ([]bindMount, error) {
	if cfg.AllocDir == "" || !filepath.IsAbs(cfg.AllocDir) {
		return nil, fmt.Errorf("alloc dir: %q must be an absolute path", cfg.AllocDir)
	}
	allocDir := filepath.Clean(cfg.AllocDir)
	if err := checkInside(allocDir, cfg.TaskDir.Dir, "task dir"); err != nil {
		return nil, err
	}
	if filepath.Clean(cfg.TaskDir.Dir) == allocDir {
		return nil, fmt.Errorf("task dir: %q must be below the alloc dir", cfg.TaskDir.Dir)
	}
	if fi, err := os.Stat(cfg.TaskDir.Dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("task dir: %q must be an existing directory", cfg.TaskDir.Dir)
	}

	var binds []bindMount
	for _, e := range ps.chrootEnv {
		if _, err := os.Stat(e.Source); err != nil {
			continue
		}
		binds = append(binds, bindMount{Source: e.Source, Target: e.Dest, ReadOnly: true})
	}
	sort.SliceStable(binds, func(i, j int) bool { return binds[i].Target < binds[j].Target })

	dirs := []struct {
		field, host, target string
		own, noExec         bool
	}{
		{"task dir alloc", cfg.TaskDir.SharedDir, "/alloc", false, false},
		{"task dir local", cfg.TaskDir.LocalDir, "/local", true, false},
		{"task dir secrets", cfg.TaskDir.SecretsDir, "/secrets", true, true},
	}
	for _, d := range dirs {
		if d.host == "" {
			continue
		}
		if err := checkInside(allocDir, d.host, d.field); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(d.host, 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", d.field, err)
		}
		// MkdirAll followed whatever appeared meanwhile: check again.
		if err := checkInside(allocDir, d.host, d.field); err != nil {
			return nil, err
		}
		if d.own && cred.uid != 0 {
			if err := os.Lchown(d.host, cred.uid, cred.gid); err != nil {
				return nil, fmt.Errorf("%s: %w", d.field, err)
			}
		}
		binds = append(binds, bindMount{Source: d.host, Target: d.target, NoExec: d.noExec})
	}
	return binds, nil
}

// taskEnv turns the task's environment into a sorted KEY=VALUE list.
func taskEnv(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// taskHostname is the alloc ID's first 8 characters, else the task name.
func taskHostname(cfg *drivers.TaskConfig) string {
	if len(cfg.AllocID) >= 8 {
		return cfg.AllocID[:8]
	}
	h := strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, cfg.Name)
	if len(h) > 63 {
		h = h[:63]
	}
	if h == "" {
		h = "task"
	}
	return h
}
