package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/drivers/schema"
)

// ErrInvalidConfig is wrapped by every plugin or task configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// Isolation modes for pid_mode and ipc_mode.
const (
	modePrivate = "private"
	modeHost    = "host"
)

// defaultChrootEnv is the host path → chroot path map used when the plugin
// config has no chroot_env, as Nomad's. Sources missing on the host are
// skipped.
var defaultChrootEnv = map[string]string{
	"/bin":            "/bin",
	"/etc":            "/etc",
	"/lib":            "/lib",
	"/lib32":          "/lib32",
	"/lib64":          "/lib64",
	"/run/resolvconf": "/run/resolvconf",
	"/sbin":           "/sbin",
	"/usr":            "/usr",
}

// reservedChrootPaths are mounted by the driver itself; chroot_env may not
// place anything at or below them.
var reservedChrootPaths = []string{"/alloc", "/local", "/secrets", "/proc", "/dev", "/tmp"}

// PluginConfig is the exec plugin block ("plugin \"exec\" { config { ... } }").
type PluginConfig struct {
	// ChrootEnv maps host paths to paths inside every task's chroot. They are
	// bind-mounted read-only. Empty means the default set (/bin, /etc, /lib,
	// /lib32, /lib64, /run/resolvconf, /sbin, /usr).
	ChrootEnv map[string]string `json:"chroot_env"`
	// DefaultPIDMode is "private" (default) or "host". Tasks may ask for the
	// host PID namespace only when this is "host".
	DefaultPIDMode string `json:"default_pid_mode"`
	// DefaultIPCMode is "private" (default) or "host", with the same rule.
	DefaultIPCMode string `json:"default_ipc_mode"`
	// AllowCaps are the capabilities tasks may hold; the default is Nomad's
	// list, which has no NET_RAW. A task gets all of them unless it drops some.
	AllowCaps []string `json:"allow_caps"`
	// NoPivotRoot uses chroot(2) instead of pivot_root(2). pivot_root is
	// safer; chroot is for root filesystems (ramdisks) where pivot_root fails.
	NoPivotRoot bool `json:"no_pivot_root"`
	// CgroupParent is the cgroup under which task cgroups are created, relative
	// to the hierarchy root; "nomadlike" by default.
	CgroupParent string `json:"cgroup_parent"`
	// DeniedHostUIDs are the host uids tasks may not run as: comma-separated
	// ids and inclusive ranges ("0,10-15"). Unset means "0" (no root tasks);
	// "" allows every uid (Nomad's default).
	DeniedHostUIDs *string `json:"denied_host_uids"`
	// DeniedHostGIDs are the host gids a task's user may not have as its
	// primary or a supplementary group, in the same form. Unset means "0".
	DeniedHostGIDs *string `json:"denied_host_gids"`
	// PidsLimit is the most processes and threads a task may have at once
	// (the cgroup's pids limit). Unset means defaultPidsLimit; 0 means no
	// limit. A task may set a lower pids_limit.
	PidsLimit *int64 `json:"pids_limit"`
}

// defaultPidsLimit bounds a task's processes and threads when the plugin
// config sets no pids_limit: enough for thread-heavy servers, few enough
// that a fork bomb stays a small fraction of the host's pid_max (32768 by
// default). It is podman's default.
const defaultPidsLimit = 2048

// defaultAllowCaps is Nomad's default exec capability list (no NET_RAW).
var defaultAllowCaps = []string{
	"audit_write", "chown", "dac_override", "fowner", "fsetid", "kill", "mknod",
	"net_bind_service", "setfcap", "setgid", "setpcap", "setuid", "sys_chroot",
}

// pluginSettings is a validated PluginConfig.
type pluginSettings struct {
	chrootEnv      []chrootEntry
	defaultPIDMode string
	defaultIPCMode string
	allowCaps      capSet
	noPivotRoot    bool
	cgroupParent   string
	deniedUIDs     idRanges
	deniedGIDs     idRanges
	pidsLimit      int64 // 0: no limit
}

// chrootEntry is one chroot_env mapping.
type chrootEntry struct {
	Source string // host path
	Dest   string // absolute, clean path inside the chroot
}

// parsePluginConfig decodes and validates the plugin config JSON.
func parsePluginConfig(raw json.RawMessage) (*pluginSettings, error) {
	var pc PluginConfig
	if err := decodeStrict(raw, "config", &pc); err != nil {
		return nil, err
	}
	s := &pluginSettings{noPivotRoot: pc.NoPivotRoot}

	env := pc.ChrootEnv
	if len(env) == 0 {
		env = defaultChrootEnv
	}
	for src, dst := range env {
		field := fmt.Sprintf("config.chroot_env[%q]", src)
		if !path.IsAbs(src) {
			return nil, fmt.Errorf("%w: %s: host path must be absolute", ErrInvalidConfig, field)
		}
		clean, err := cleanChrootPath(dst)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, field, err)
		}
		s.chrootEnv = append(s.chrootEnv, chrootEntry{Source: path.Clean(src), Dest: clean})
	}
	sort.Slice(s.chrootEnv, func(i, j int) bool { return s.chrootEnv[i].Dest < s.chrootEnv[j].Dest })

	var err error
	if s.defaultPIDMode, err = parseMode(pc.DefaultPIDMode, "config.default_pid_mode"); err != nil {
		return nil, err
	}
	if s.defaultIPCMode, err = parseMode(pc.DefaultIPCMode, "config.default_ipc_mode"); err != nil {
		return nil, err
	}

	allow := pc.AllowCaps
	if allow == nil {
		allow = defaultAllowCaps
	}
	if s.allowCaps, err = parseCaps(allow, "config.allow_caps"); err != nil {
		return nil, err
	}

	s.cgroupParent = "nomadlike"
	if pc.CgroupParent != "" {
		p := strings.Trim(pc.CgroupParent, "/")
		if p == "" || hasDotDot(p) {
			return nil, fmt.Errorf("%w: config.cgroup_parent: %q must be a relative path without \"..\"", ErrInvalidConfig, pc.CgroupParent)
		}
		s.cgroupParent = path.Clean(p)
	}
	if s.deniedUIDs, err = parseIDRanges(stringOr(pc.DeniedHostUIDs, defaultDeniedIDs), "config.denied_host_uids"); err != nil {
		return nil, err
	}
	if s.deniedGIDs, err = parseIDRanges(stringOr(pc.DeniedHostGIDs, defaultDeniedIDs), "config.denied_host_gids"); err != nil {
		return nil, err
	}
	s.pidsLimit = defaultPidsLimit
	if pc.PidsLimit != nil {
		if *pc.PidsLimit < 0 {
			return nil, fmt.Errorf("%w: config.pids_limit: %d must be 0 (no limit) or positive", ErrInvalidConfig, *pc.PidsLimit)
		}
		s.pidsLimit = *pc.PidsLimit
	}
	return s, nil
}

// stringOr returns *p, or def when p is nil (the option is not set).
func stringOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

// cleanChrootPath validates a destination inside the chroot: absolute,
// without "..", not the root itself and not a path the driver mounts.
func cleanChrootPath(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("path in chroot %q must be absolute", p)
	}
	if hasDotDot(p) {
		return "", fmt.Errorf("path in chroot %q must not contain \"..\"", p)
	}
	clean := path.Clean(p)
	if clean == "/" {
		return "", fmt.Errorf("path in chroot %q must not be the root", p)
	}
	for _, r := range reservedChrootPaths {
		if clean == r || strings.HasPrefix(clean, r+"/") {
			return "", fmt.Errorf("path in chroot %q is reserved for the driver (%s)", p, r)
		}
	}
	return clean, nil
}

// hasDotDot reports whether any slash-separated element of p is "..".
func hasDotDot(p string) bool {
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return true
		}
	}
	return false
}

func parseMode(v, field string) (string, error) {
	switch v {
	case "":
		return modePrivate, nil
	case modePrivate, modeHost:
		return v, nil
	default:
		return "", fmt.Errorf("%w: %s: %q must be \"private\" or \"host\"", ErrInvalidConfig, field, v)
	}
}

// TaskConfig is a task's exec driver config block.
type TaskConfig struct {
	// Command is the program to run, looked up in the task's PATH inside the
	// chroot when it has no slash. Required.
	Command string `json:"command" schema:"required"`
	// Args are the command's arguments.
	Args []string `json:"args"`
	// PIDMode is "private" or "host"; empty means the plugin's default.
	PIDMode string `json:"pid_mode"`
	// IPCMode is "private" or "host"; empty means the plugin's default.
	IPCMode string `json:"ipc_mode"`
	// CapAdd are capabilities to add to the default set; each must be allowed.
	CapAdd []string `json:"cap_add"`
	// CapDrop are capabilities to remove ("all" removes every one); cap_add
	// wins over it.
	CapDrop []string `json:"cap_drop"`
	// PidsLimit lowers the plugin's pids_limit for this task; 0 means the
	// plugin's. It may not exceed the plugin's limit.
	PidsLimit int64 `json:"pids_limit"`
}

// taskSettings is a validated TaskConfig under a plugin config.
type taskSettings struct {
	command string
	args    []string
	pidMode string
	ipcMode string
	caps    capSet // bounding, effective and permitted set for root tasks
	ambient capSet // caps explicitly added, raised as ambient for other users
	// pidsLimit is the task cgroup's pids limit (0: none).
	pidsLimit int64
}

// parseTaskConfig decodes and validates a task config against the plugin
// settings. Errors name the field ("config.command: required").
func parseTaskConfig(raw json.RawMessage, ps *pluginSettings) (*taskSettings, error) {
	var tc TaskConfig
	if err := decodeStrict(raw, "config", &tc); err != nil {
		return nil, err
	}
	if strings.TrimSpace(tc.Command) == "" {
		return nil, fmt.Errorf("%w: config.command: required", ErrInvalidConfig)
	}
	if strings.ContainsRune(tc.Command, 0) {
		return nil, fmt.Errorf("%w: config.command: must not contain NUL", ErrInvalidConfig)
	}
	for i, a := range tc.Args {
		if strings.ContainsRune(a, 0) {
			return nil, fmt.Errorf("%w: config.args[%d]: must not contain NUL", ErrInvalidConfig, i)
		}
	}
	ts := &taskSettings{command: tc.Command, args: tc.Args}

	var err error
	if ts.pidMode, err = taskMode(tc.PIDMode, ps.defaultPIDMode, "config.pid_mode", "default_pid_mode"); err != nil {
		return nil, err
	}
	if ts.ipcMode, err = taskMode(tc.IPCMode, ps.defaultIPCMode, "config.ipc_mode", "default_ipc_mode"); err != nil {
		return nil, err
	}

	add, err := parseCaps(tc.CapAdd, "config.cap_add")
	if err != nil {
		return nil, err
	}
	if extra := add.minus(ps.allowCaps); !extra.empty() {
		return nil, fmt.Errorf("%w: config.cap_add: %s not allowed by the plugin's allow_caps", ErrInvalidConfig, strings.Join(extra.names(), ", "))
	}
	drop, err := parseCaps(tc.CapDrop, "config.cap_drop")
	if err != nil {
		return nil, err
	}
	ts.caps = ps.allowCaps.minus(drop).union(add)
	// Explicitly added caps win over cap_drop ("drop all, add one").
	ts.ambient = add
	if ts.pidsLimit, err = taskPidsLimit(tc.PidsLimit, ps.pidsLimit); err != nil {
		return nil, err
	}
	return ts, nil
}

// taskPidsLimit resolves a task's pids_limit against the plugin's: a task may
// lower the limit, never raise or remove it.
func taskPidsLimit(v, plugin int64) (int64, error) {
	switch {
	case v < 0:
		return 0, fmt.Errorf("%w: config.pids_limit: %d must be positive (0 or unset: the plugin's pids_limit)", ErrInvalidConfig, v)
	case v == 0:
		return plugin, nil
	case plugin > 0 && v > plugin:
		return 0, fmt.Errorf("%w: config.pids_limit: %d is above the plugin's pids_limit (%d)", ErrInvalidConfig, v, plugin)
	}
	return v, nil
}

// taskMode resolves a task's pid_mode or ipc_mode against the plugin default:
// "host" is only allowed when the plugin default is "host".
func taskMode(v, def, field, pluginField string) (string, error) {
	if v == "" {
		return def, nil
	}
	m, err := parseMode(v, field)
	if err != nil {
		return "", err
	}
	if m == modeHost && def != modeHost {
		return "", fmt.Errorf("%w: %s: \"host\" is not allowed unless the plugin's %s is \"host\"", ErrInvalidConfig, field, pluginField)
	}
	return m, nil
}

// decodeStrict decodes a config with the SDK's schema decoder; its errors
// wrap ErrInvalidConfig and schema.ErrInvalid.
func decodeStrict(raw json.RawMessage, prefix string, v any) error {
	if err := schema.Decode(raw, prefix, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

// taskSchema is the task config schema the driver publishes in its Info.
var taskSchema = schema.MustOf(TaskConfig{})

// TaskConfigSchema publishes the task config schema (drivers.SchemaPublisher).
func (d *Driver) TaskConfigSchema() *schema.Schema { return taskSchema }
