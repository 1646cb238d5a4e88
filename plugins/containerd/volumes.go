package containerd

import (
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/nomadlike/nomadlike/drivers"
)

// Host volumes (issue #17): each TaskConfig.Mounts entry becomes an OCI
// bind mount of the host path at its task path, after the task's own
// directories and the task config's mounts; "ro" where asked, always
// nosuid and nodev. runc resolves the destination inside the container's
// root filesystem (symlinks in the image are resolved within it).

// volumeMounts validates the task's mounts and returns their OCI mounts.
func volumeMounts(mounts []drivers.MountConfig) ([]specs.Mount, error) {
	var out []specs.Mount
	for i, m := range mounts {
		field := fmt.Sprintf("mounts[%d]", i)
		dest, err := drivers.CleanTaskPath(m.TaskPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		if !filepath.IsAbs(m.HostPath) {
			return nil, fmt.Errorf("%s: host path %q must be absolute", field, m.HostPath)
		}
		if _, err := os.Stat(m.HostPath); err != nil {
			return nil, fmt.Errorf("%s: host path: %w", field, err)
		}
		opts := []string{"rbind", "rprivate", "nosuid", "nodev", "rw"}
		if m.ReadOnly {
			opts[len(opts)-1] = "ro"
		}
		out = append(out, specs.Mount{Type: "bind", Source: m.HostPath, Destination: dest, Options: opts})
	}
	return out, nil
}
