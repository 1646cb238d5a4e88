package rawexec

import (
	"maps"
	"strings"

	"github.com/nomadlike/nomadlike/drivers"
)

// Host volumes (issue #17). raw_exec has no mount namespace: it mounts
// nothing (Capabilities.MountConfigs = host-path). The task, which runs
// unisolated and may reach the whole host anyway, is told each volume's host
// path in NOMAD_HOST_VOLUME_<volume> (the volume_mount's volume name, other
// characters than letters, digits and '_' replaced by '_'). The mount's
// destination and read_only are not applied.

// volumeEnvPrefix starts the variables naming volume host paths.
const volumeEnvPrefix = "NOMAD_HOST_VOLUME_"

// withVolumeEnv returns env with a NOMAD_HOST_VOLUME_<name> entry per mount
// (env itself is not changed).
func withVolumeEnv(env map[string]string, mounts []drivers.MountConfig) map[string]string {
	if len(mounts) == 0 {
		return env
	}
	out := maps.Clone(env)
	if out == nil {
		out = map[string]string{}
	}
	for _, m := range mounts {
		out[volumeEnvPrefix+envName(m.Volume)] = m.HostPath
	}
	return out
}

func envName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, s)
}
