package drivers

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// Mount support a driver declares in Capabilities.MountConfigs (added with
// host volumes, issue #17; see website/writing-a-driver.md).
const (
	// MountConfigSupportAll: the driver makes every TaskConfig.Mounts
	// entry visible at its TaskPath, read-only where asked.
	MountConfigSupportAll = "all"
	// MountConfigSupportHostPath: the driver has no filesystem isolation;
	// the task reaches the host path itself (raw_exec, which names it in
	// the environment). ReadOnly cannot be enforced.
	MountConfigSupportHostPath = "host-path"
	// MountConfigSupportNone: the driver mounts nothing. The client refuses
	// to start a task with a volume_mount on such a driver, and on a
	// driver that leaves MountConfigs empty (one written before mounts).
	MountConfigSupportNone = "none"
)

// MountConfig is one host path the client asks the driver to make visible
// in the task: a group volume named by a task's volume_mount.
type MountConfig struct {
	// TaskPath is where the task sees it: absolute, clean, never "/", no
	// ".." (CleanTaskPath).
	TaskPath string `json:"TaskPath"`
	// HostPath is the absolute host path (the node's host_volume path).
	HostPath string `json:"HostPath"`
	// ReadOnly is set when the volume, the group's request or the mount is
	// read-only.
	ReadOnly bool `json:"ReadOnly"`
	// Volume is the name of the group volume, for messages and for drivers
	// that name mounts (raw_exec's NOMAD_HOST_VOLUME_<NAME>).
	Volume string `json:"Volume,omitempty"`
}

// CleanTaskPath checks a mount's task path and returns it absolute and
// clean: a relative path is taken from the task's root; "..", NUL and the
// root itself are refused.
func CleanTaskPath(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("task path: required")
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("task path %q: contains NUL", p)
	}
	for _, elem := range strings.Split(filepath.ToSlash(p), "/") {
		if elem == ".." {
			return "", fmt.Errorf("task path %q: must not contain \"..\"", p)
		}
	}
	clean := path.Clean("/" + p)
	if clean == "/" {
		return "", fmt.Errorf("task path %q: must not be the task's root", p)
	}
	return clean, nil
}
