package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nomadlike/nomadlike/drivers"
)

// Host volumes (issue #17): each TaskConfig.Mounts entry is bind-mounted
// into the chroot after the task's own directories, read-only where asked,
// always nosuid and nodev. The init creates the mount point beneath the
// chroot without following symlinks (execinit.rootfs.ensure, openat2
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), so a link the task's job planted
// in its directory cannot send the mount elsewhere on the host.

// reservedTaskPaths are mounted by the init after the binds: a volume there
// would be hidden or would hide them.
var reservedTaskPaths = []string{"/proc", "/dev"}

// volumeBinds validates the task's mounts and returns their bind mounts.
func volumeBinds(mounts []drivers.MountConfig) ([]bindMount, error) {
	var out []bindMount
	for i, m := range mounts {
		field := fmt.Sprintf("mounts[%d]", i)
		dest, err := drivers.CleanTaskPath(m.TaskPath)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, field, err)
		}
		for _, r := range reservedTaskPaths {
			if dest == r || strings.HasPrefix(dest, r+"/") {
				return nil, fmt.Errorf("%w: %s: task path %q: %s is the driver's", ErrInvalidConfig, field, dest, r)
			}
		}
		if !filepath.IsAbs(m.HostPath) {
			return nil, fmt.Errorf("%w: %s: host path %q must be absolute", ErrInvalidConfig, field, m.HostPath)
		}
		if _, err := os.Stat(m.HostPath); err != nil {
			return nil, fmt.Errorf("%s: host path: %w", field, err)
		}
		out = append(out, bindMount{Source: m.HostPath, Target: dest, ReadOnly: m.ReadOnly})
	}
	return out, nil
}
