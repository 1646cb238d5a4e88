package allocrunner

import (
	"errors"
	"fmt"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Host volumes (issue #17): a task's volume_mount blocks become
// drivers.MountConfig entries for the driver, from the node's host
// volumes.

// ErrVolumeMount is wrapped by every reason a task's volume_mount cannot be
// honoured on this node; the task fails without restarts.
var ErrVolumeMount = errors.New("volume_mount")

// taskMounts resolves the task's volume_mount blocks against the node's
// host volumes: the group's request names the source (with "[index]" for
// per_alloc), the node's volume gives the path; the mount is read-only
// when the volume, the request or the mount says so, as Nomad's.
func taskMounts(node *nomadlike.Node, alloc *nomadlike.Allocation, task *nomadlike.Task) ([]drivers.MountConfig, error) {
	if len(task.VolumeMounts) == 0 {
		return nil, nil
	}
	var tg *nomadlike.TaskGroup
	if alloc.Job != nil {
		tg = alloc.Job.LookupTaskGroup(alloc.TaskGroup)
	}
	if tg == nil {
		return nil, fmt.Errorf("%w: group %q not in the allocation's job", ErrVolumeMount, alloc.TaskGroup)
	}
	var out []drivers.MountConfig
	for _, vm := range task.VolumeMounts {
		if vm == nil {
			continue
		}
		req := tg.Volumes[vm.Volume]
		if req == nil {
			return nil, fmt.Errorf("%w: no group volume %q", ErrVolumeMount, vm.Volume)
		}
		if req.Type != nomadlike.VolumeTypeHost {
			return nil, fmt.Errorf("%w: volume %q: type %q volumes are not supported (host only)", ErrVolumeMount, vm.Volume, req.Type)
		}
		source := req.HostVolumeSource(alloc.Index())
		var hv *nomadlike.ClientHostVolumeConfig
		if node != nil {
			hv = node.HostVolumes[source]
		}
		if hv == nil {
			return nil, fmt.Errorf("%w: volume %q: host volume %q not found on this node", ErrVolumeMount, vm.Volume, source)
		}
		if !req.HostVolumeUsable(hv) {
			return nil, fmt.Errorf("%w: volume %q: host volume %q is read-only and the group asks to write", ErrVolumeMount, vm.Volume, source)
		}
		dest, err := drivers.CleanTaskPath(vm.Destination)
		if err != nil {
			return nil, fmt.Errorf("%w: volume %q: destination: %w", ErrVolumeMount, vm.Volume, err)
		}
		out = append(out, drivers.MountConfig{
			TaskPath: dest,
			HostPath: hv.Path,
			ReadOnly: hv.ReadOnly || req.ReadOnly || vm.ReadOnly,
			Volume:   vm.Volume,
		})
	}
	return out, nil
}

// checkMountSupport refuses mounts on a driver that does not declare how it
// honours them: a task must not start believing its volume is there.
func checkMountSupport(info drivers.Info, mounts []drivers.MountConfig) error {
	if len(mounts) == 0 {
		return nil
	}
	switch info.Capabilities.MountConfigs {
	case drivers.MountConfigSupportAll, drivers.MountConfigSupportHostPath:
		return nil
	}
	return fmt.Errorf("%w: driver %q does not support volume mounts", ErrVolumeMount, info.Name)
}
