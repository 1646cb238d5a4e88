package containerd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strings"

	"github.com/distribution/reference"
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
	// AllowPrivileged lets tasks set privileged = true. Off by default:
	// a privileged container is root on the host.
	AllowPrivileged bool `json:"allow_privileged"`
	// PullTimeout bounds an image pull, as a duration string ("2m").
	PullTimeout string `json:"pull_timeout"`
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
}

// TaskConfig is a task's `config { ... }` block, modelled on Nomad's
// containerd driver.
type TaskConfig struct {
	Image          string   `json:"image"`
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
	Seccomp        bool     `json:"seccomp"`
}

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
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ConfigErrors lists every problem of a config.
type ConfigErrors []*FieldError

func (e ConfigErrors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// decodeStrict decodes JSON into out, rejecting unknown fields, and turns
// encoding/json's errors into field-path errors under prefix.
func decodeStrict(raw []byte, out any, prefix string) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(out)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := prefix
		if te.Field != "" {
			field = prefix + "." + te.Field
		}
		return &FieldError{Field: field, Message: fmt.Sprintf("must be %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)}
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return &FieldError{Field: prefix + "." + name, Message: "unknown field"}
	}
	return &FieldError{Field: prefix, Message: err.Error()}
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "a list"
	case "map", "struct":
		return "an object"
	case "int", "int64", "uint64", "float64":
		return "a number"
	}
	return "a " + k
}

// ParseTaskConfig decodes and validates a task config, returning every
// problem with its field path.
func ParseTaskConfig(raw []byte, allowPrivileged bool) (*TaskConfig, error) {
	var tc TaskConfig
	if err := decodeStrict(raw, &tc, "config"); err != nil {
		return nil, err
	}
	if errs := tc.validate(allowPrivileged); len(errs) > 0 {
		return nil, errs
	}
	return &tc, nil
}

func (tc *TaskConfig) validate(allowPrivileged bool) ConfigErrors {
	var errs ConfigErrors
	fail := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: "config." + field, Message: fmt.Sprintf(format, args...)})
	}
	if tc.Image == "" {
		fail("image", "required")
	} else if _, err := reference.ParseDockerRef(tc.Image); err != nil {
		fail("image", "invalid image reference %q: %v", tc.Image, err)
	}
	if tc.Privileged && !allowPrivileged {
		fail("privileged", `not allowed: set plugin "containerd" { config { allow_privileged = true } } on the client`)
	}
	if tc.Cwd != "" && !path.IsAbs(tc.Cwd) {
		fail("cwd", "must be an absolute path, got %q", tc.Cwd)
	}
	for i, c := range tc.CapAdd {
		if !knownCapability(c) {
			fail(fmt.Sprintf("cap_add[%d]", i), "unknown capability %q", c)
		}
	}
	for i, c := range tc.CapDrop {
		if !knownCapability(c) && strings.ToUpper(c) != "ALL" {
			fail(fmt.Sprintf("cap_drop[%d]", i), "unknown capability %q", c)
		}
	}
	for i, m := range tc.Mounts {
		f := fmt.Sprintf("mounts[%d]", i)
		switch m.Type {
		case "bind", "tmpfs", "":
		default:
			fail(f+".type", "unknown mount type %q (want bind or tmpfs)", m.Type)
		}
		if m.Target == "" {
			fail(f+".target", "required")
		} else if !path.IsAbs(m.Target) {
			fail(f+".target", "must be an absolute path, got %q", m.Target)
		} else if path.Clean(m.Target) == "/" {
			fail(f+".target", "cannot mount over the container's root")
		}
		if (m.Type == "bind" || m.Type == "") && m.Source == "" {
			fail(f+".source", "required for a bind mount")
		}
		for j, o := range m.Options {
			if !knownMountOption(o) {
				fail(fmt.Sprintf("%s.options[%d]", f, j), "unknown mount option %q", o)
			}
		}
	}
	for i, h := range tc.ExtraHosts {
		host, ip, ok := strings.Cut(h, ":")
		if !ok || host == "" || net.ParseIP(ip) == nil {
			fail(fmt.Sprintf("extra_hosts[%d]", i), "want \"hostname:ip\", got %q", h)
		}
	}
	if tc.Hostname != "" && (len(tc.Hostname) > 63 || strings.ContainsAny(tc.Hostname, " /\t")) {
		fail("hostname", "invalid hostname %q", tc.Hostname)
	}
	return errs
}

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
