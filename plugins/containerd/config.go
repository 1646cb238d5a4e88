package containerd

import (
	"errors"
	"fmt"
	"net"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/nomadlike/nomadlike/drivers/schema"
)

// Defaults of the plugin config.
const (
	DefaultAddress     = "/run/containerd/containerd.sock"
	DefaultNamespace   = "nomadlike"
	DefaultSnapshotter = "overlayfs"
)

// PluginConfig is the agent's `plugin "containerd" { config { ... } }` block.
type PluginConfig struct {
	// Enabled turns the driver on; true unless set to false.
	Enabled *bool `json:"enabled"`
	// Address is containerd's gRPC socket.
	Address string `json:"address"`
	// Namespace is the containerd namespace the driver's containers live in.
	Namespace string `json:"namespace"`
	// Snapshotter unpacks images; overlayfs works on most hosts.
	Snapshotter string `json:"snapshotter"`
	// AllowPrivileged lets tasks set privileged = true or seccomp = false.
	// Off by default: a privileged container is root on the host.
	AllowPrivileged bool `json:"allow_privileged"`
	// AllowCaps lists the capabilities a task may have: its default set is
	// DefaultAllowCaps limited to this list, and cap_add may only name
	// capabilities in it. ["ALL"] allows every capability. Nil means
	// DefaultAllowCaps.
	AllowCaps []string `json:"allow_caps"`
	// Volumes gates binds of host paths.
	Volumes VolumesConfig `json:"volumes"`
	// ImageArchiveDirs are host directories an absolute image_archive may
	// name without volumes.enabled. Nil means DefaultImageArchiveDirs.
	ImageArchiveDirs []string `json:"image_archive_dirs"`
	// PullTimeout bounds an image pull, as a duration string ("2m").
	PullTimeout string `json:"pull_timeout"`
}

// VolumesConfig is the plugin config's `volumes { ... }` block, as in Nomad's
// docker driver.
type VolumesConfig struct {
	// Enabled lets tasks bind absolute host paths (and image_archive read
	// one). Off by default: relative sources, resolved beneath the
	// allocation directory, are always allowed.
	Enabled bool `json:"enabled"`
}

// DefaultImageArchiveDirs is where `make dev` builds the example image.
var DefaultImageArchiveDirs = []string{"/var/lib/nomadlike/images"}

// DefaultAllowCaps is Nomad's default allow_caps and the capabilities a
// container gets without cap_add: Docker's (and containerd's) default set
// without NET_RAW.
var DefaultAllowCaps = []string{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

func (c *PluginConfig) enabled() bool { return c.Enabled == nil || *c.Enabled }

func (c *PluginConfig) setDefaults() {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Snapshotter == "" {
		c.Snapshotter = DefaultSnapshotter
	}
	if c.AllowCaps == nil {
		c.AllowCaps = append([]string(nil), DefaultAllowCaps...)
	}
	if c.ImageArchiveDirs == nil {
		c.ImageArchiveDirs = append([]string(nil), DefaultImageArchiveDirs...)
	}
}

// validate checks the plugin config's fields, naming the bad ones.
func (c *PluginConfig) validate() error {
	var errs ConfigErrors
	if c.PullTimeout != "" {
		if _, err := time.ParseDuration(c.PullTimeout); err != nil {
			errs = append(errs, &FieldError{Field: "config.pull_timeout", Message: fmt.Sprintf("invalid duration %q", c.PullTimeout)})
		}
	}
	for i, cp := range c.AllowCaps {
		if !knownCapability(cp) && !isAll(cp) {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("config.allow_caps[%d]", i), Message: fmt.Sprintf("unknown capability %q", cp)})
		}
	}
	for i, d := range c.ImageArchiveDirs {
		if !filepath.IsAbs(d) {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("config.image_archive_dirs[%d]", i), Message: fmt.Sprintf("must be an absolute path, got %q", d)})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// taskPolicy is what the plugin config lets a task ask for.
type taskPolicy struct {
	allowPrivileged bool
	volumes         bool
	allCaps         bool            // allow_caps holds "ALL"
	caps            map[string]bool // allowed capabilities as "CAP_X"
	archiveDirs     []string
}

func (c *PluginConfig) policy() taskPolicy {
	p := taskPolicy{allowPrivileged: c.AllowPrivileged, volumes: c.Volumes.Enabled, caps: map[string]bool{}, archiveDirs: c.ImageArchiveDirs}
	if p.archiveDirs == nil {
		p.archiveDirs = DefaultImageArchiveDirs
	}
	allow := c.AllowCaps
	if allow == nil {
		allow = DefaultAllowCaps
	}
	for _, cp := range allow {
		if isAll(cp) {
			p.allCaps = true
			continue
		}
		p.caps[normalizeCap(cp)] = true
	}
	return p
}

func (p taskPolicy) capAllowed(c string) bool { return p.allCaps || p.caps[normalizeCap(c)] }

// archiveDir returns the image_archive_dirs entry an absolute archive path
// lies in, lexically, or "".
func (p taskPolicy) archiveDir(archive string) string {
	for _, d := range p.archiveDirs {
		if within(filepath.Clean(d), filepath.Clean(archive)) {
			return filepath.Clean(d)
		}
	}
	return ""
}

// TaskConfig is a task's `config { ... }` block, modelled on Nomad's
// containerd driver.
type TaskConfig struct {
	Image          string   `json:"image" schema:"required"`
	ImageArchive   string   `json:"image_archive"`
	Command        string   `json:"command"`
	Args           []string `json:"args"`
	Entrypoint     []string `json:"entrypoint"`
	Cwd            string   `json:"cwd"`
	Privileged     bool     `json:"privileged"`
	ReadonlyRootfs bool     `json:"readonly_rootfs"`
	HostNetwork    bool     `json:"host_network"`
	CapAdd         []string `json:"cap_add"`
	CapDrop        []string `json:"cap_drop"`
	Mounts         []Mount  `json:"mounts"`
	ExtraHosts     []string `json:"extra_hosts"`
	Hostname       string   `json:"hostname"`
	// Seccomp applies containerd's default seccomp profile; nil means true.
	// false needs the plugin's allow_privileged.
	Seccomp *bool `json:"seccomp"`
}

func (tc *TaskConfig) seccomp() bool { return tc.Seccomp == nil || *tc.Seccomp }

// Mount is an extra mount into the container.
type Mount struct {
	Type    string   `json:"type"`
	Source  string   `json:"source"`
	Target  string   `json:"target"`
	Options []string `json:"options"`
}

// FieldError is a config problem located by its field path ("config.mounts[0].target").
type FieldError struct {
	Field   string
	Message string
	// Err is the cause, when there is one to test with errors.Is.
	Err error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func (e *FieldError) Unwrap() error { return e.Err }

// ConfigErrors lists every problem of a config.
type ConfigErrors []*FieldError

// Unwrap returns the field errors, for errors.Is and errors.As.
func (e ConfigErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}

func (e ConfigErrors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// decodeStrict decodes JSON into out with the SDK's schema decoder
// (unknown keys refused, types checked, every problem with its path under
// prefix), returning the problems as ConfigErrors.
func decodeStrict(raw []byte, out any, prefix string) error {
	err := schema.Decode(raw, prefix, out)
	var se schema.Errors
	if errors.As(err, &se) {
		errs := make(ConfigErrors, len(se))
		for i, fe := range se {
			errs[i] = &FieldError{Field: fe.Path, Message: fe.Problem, Err: fe}
		}
		return errs
	}
	return err
}

// taskSchema is the task config schema the driver publishes in its Info.
var taskSchema = schema.MustOf(TaskConfig{})

// TaskConfigSchema publishes the task config schema (drivers.SchemaPublisher).
func (d *Driver) TaskConfigSchema() *schema.Schema { return taskSchema }

// ParseTaskConfig decodes and validates a task config against what the
// plugin config pc allows, returning every problem with its field path.
func ParseTaskConfig(raw []byte, pc PluginConfig) (*TaskConfig, error) {
	var tc TaskConfig
	if err := decodeStrict(raw, &tc, "config"); err != nil {
		return nil, err
	}
	if errs := tc.validate(pc.policy()); len(errs) > 0 {
		return nil, errs
	}
	return &tc, nil
}

// pluginHint is how an error tells the operator where a gate is opened.
func pluginHint(setting string) string {
	return `plugin "containerd" { config { ` + setting + ` } } on the client`
}

func (tc *TaskConfig) validate(pol taskPolicy) ConfigErrors {
	var errs ConfigErrors
	fail := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: "config." + field, Message: fmt.Sprintf(format, args...)})
	}
	if tc.Image == "" {
		fail("image", "required")
	} else if _, err := reference.ParseDockerRef(tc.Image); err != nil {
		fail("image", "invalid image reference %q: %v", tc.Image, err)
	}
	if tc.Privileged && !pol.allowPrivileged {
		fail("privileged", "not allowed: set %s", pluginHint("allow_privileged = true"))
	}
	if !tc.seccomp() && !pol.allowPrivileged {
		fail("seccomp", "turning the default seccomp profile off is not allowed: set %s", pluginHint("allow_privileged = true"))
	}
	if tc.Cwd != "" && !path.IsAbs(tc.Cwd) {
		fail("cwd", "must be an absolute path, got %q", tc.Cwd)
	}
	errs = append(errs, validateCaps(tc, pol)...)
	for i, m := range tc.Mounts {
		errs = append(errs, validateMount(fmt.Sprintf("config.mounts[%d]", i), m, pol)...)
	}
	if a := tc.ImageArchive; a != "" && filepath.IsAbs(a) && !pol.volumes && pol.archiveDir(a) == "" {
		fail("image_archive", "host path %q is outside the plugin's image_archive_dirs %q: add its directory there or set %s; a relative path (an artifact in local/) is always allowed",
			a, pol.archiveDirs, pluginHint("volumes { enabled = true }"))
	}
	for i, h := range tc.ExtraHosts {
		host, ip, ok := strings.Cut(h, ":")
		if !ok || !hostnameRE.MatchString(host) || net.ParseIP(ip) == nil {
			fail(fmt.Sprintf("extra_hosts[%d]", i), "want \"hostname:ip\", got %q", h)
		}
	}
	if tc.Hostname != "" && (len(tc.Hostname) > 63 || !hostnameRE.MatchString(tc.Hostname)) {
		fail("hostname", "invalid hostname %q", tc.Hostname)
	}
	return errs
}

func validateCaps(tc *TaskConfig, pol taskPolicy) ConfigErrors {
	var errs ConfigErrors
	for i, c := range tc.CapAdd {
		f := fmt.Sprintf("config.cap_add[%d]", i)
		switch {
		case !knownCapability(c) && !isAll(c):
			errs = append(errs, &FieldError{Field: f, Message: fmt.Sprintf("unknown capability %q", c)})
		case isAll(c) && !pol.allCaps:
			errs = append(errs, &FieldError{Field: f, Message: fmt.Sprintf(`"ALL" needs allow_caps = ["ALL"] in %s`, pluginHint("..."))})
		case !pol.capAllowed(c):
			errs = append(errs, &FieldError{Field: f, Message: fmt.Sprintf("capability %q is not in the plugin's allow_caps (add it to %s)", c, pluginHint("allow_caps = [...]"))})
		}
	}
	for i, c := range tc.CapDrop {
		if !knownCapability(c) && !isAll(c) {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("config.cap_drop[%d]", i), Message: fmt.Sprintf("unknown capability %q", c)})
		}
	}
	return errs
}

// validateMount checks one entry of mounts. Only bind and tmpfs mounts
// exist; an absolute bind source is a host path and needs volumes.enabled,
// and a tmpfs may not carry bind options (runc would turn it into a bind of
// its source).
func validateMount(f string, m Mount, pol taskPolicy) ConfigErrors {
	var errs ConfigErrors
	fail := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: f + field, Message: fmt.Sprintf(format, args...)})
	}
	typ := m.Type
	switch typ {
	case "":
		typ = "bind"
	case "bind", "tmpfs":
	default:
		fail(".type", "unknown mount type %q (want bind or tmpfs)", m.Type)
	}
	if m.Target == "" {
		fail(".target", "required")
	} else if !path.IsAbs(m.Target) {
		fail(".target", "must be an absolute path, got %q", m.Target)
	} else if path.Clean(m.Target) == "/" {
		fail(".target", "cannot mount over the container's root")
	}
	switch {
	case typ == "bind" && m.Source == "":
		fail(".source", "required for a bind mount")
	case typ == "bind" && filepath.IsAbs(m.Source) && !pol.volumes:
		fail(".source", "host path %q needs %s; a relative source (resolved in the task directory, never outside the allocation directory) is always allowed", m.Source, pluginHint("volumes { enabled = true }"))
	case typ == "tmpfs" && m.Source != "" && m.Source != "tmpfs":
		fail(".source", "must be empty for a tmpfs mount, got %q", m.Source)
	}
	for j, o := range m.Options {
		switch {
		case !knownMountOption(o):
			fail(fmt.Sprintf(".options[%d]", j), "unknown mount option %q", o)
		case typ == "tmpfs" && (o == "bind" || o == "rbind"):
			fail(fmt.Sprintf(".options[%d]", j), "%q is not an option of a tmpfs mount", o)
		}
	}
	return errs
}

// hostnameRE is what /etc/hosts may hold as a name: no spaces or line
// breaks that would add entries of their own.
var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9_])?$`)

var mountOptions = map[string]bool{
	"ro": true, "rw": true, "bind": true, "rbind": true, "nosuid": true, "suid": true,
	"nodev": true, "dev": true, "noexec": true, "exec": true, "private": true, "rprivate": true,
	"shared": true, "rshared": true, "slave": true, "rslave": true, "relatime": true, "noatime": true,
}

func knownMountOption(o string) bool {
	if mountOptions[o] {
		return true
	}
	// tmpfs size/mode options.
	return strings.HasPrefix(o, "size=") || strings.HasPrefix(o, "mode=")
}

var capabilities = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
	SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
	SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE
	SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN
	SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE`) {
		capabilities["CAP_"+c] = true
	}
}

// normalizeCap returns "CAP_X" for "x", "X" or "CAP_X".
func normalizeCap(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

func knownCapability(c string) bool { return capabilities[normalizeCap(c)] }

func isAll(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "ALL") }

// effectiveCaps returns the capabilities of a non-privileged container:
// DefaultAllowCaps limited to allow_caps (none with cap_drop = ["ALL"]),
// minus cap_drop, plus cap_add. The task config must have been validated
// against pol.
func effectiveCaps(tc *TaskConfig, pol taskPolicy) []string {
	set := map[string]bool{}
	if !containsAll(tc.CapDrop) {
		for _, c := range DefaultAllowCaps {
			if pol.capAllowed(c) {
				set[normalizeCap(c)] = true
			}
		}
	}
	for _, c := range tc.CapDrop {
		delete(set, normalizeCap(c))
	}
	for _, c := range tc.CapAdd {
		if isAll(c) {
			for k := range capabilities {
				set[k] = true
			}
			continue
		}
		set[normalizeCap(c)] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func containsAll(caps []string) bool {
	for _, c := range caps {
		if isAll(c) {
			return true
		}
	}
	return false
}
