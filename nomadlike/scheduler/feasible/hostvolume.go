package feasible

import (
	"sort"
	"strings"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// ReasonMissingHostVolumes is Nomad's AllocMetric.ConstraintFiltered key
// for a node without a host volume the group asks for (or with only a
// read-only one where the group writes).
const ReasonMissingHostVolumes = "missing compatible host volumes"

// HostVolumes checks that the node has every host volume the group asks
// for, usable in the asked mode. A per_alloc request is checked here only
// for some "SOURCE[N]" volume on the node; HostVolumesFor checks the exact
// one once the allocation's index is known.
func HostVolumes(node *nomadlike.Node, tg *nomadlike.TaskGroup) (bool, string) {
	for _, req := range tg.Volumes {
		if req == nil || req.Type != nomadlike.VolumeTypeHost {
			continue
		}
		if req.PerAlloc {
			if !hasPerAllocVolume(node, req) {
				return false, ReasonMissingHostVolumes
			}
			continue
		}
		if !req.HostVolumeUsable(node.HostVolumes[req.Source]) {
			return false, ReasonMissingHostVolumes
		}
	}
	return true, ""
}

// HostVolumesFor checks the group's per_alloc host volumes for the
// allocation with the given index: the node must have "SOURCE[index]".
func HostVolumesFor(node *nomadlike.Node, tg *nomadlike.TaskGroup, allocIndex int) (bool, string) {
	for _, req := range tg.Volumes {
		if req == nil || req.Type != nomadlike.VolumeTypeHost || !req.PerAlloc {
			continue
		}
		if !req.HostVolumeUsable(node.HostVolumes[req.HostVolumeSource(allocIndex)]) {
			return false, ReasonMissingHostVolumes
		}
	}
	return true, ""
}

// HasPerAllocVolumes reports whether the group has a per_alloc host volume,
// so that every placement needs HostVolumesFor.
func HasPerAllocVolumes(tg *nomadlike.TaskGroup) bool {
	for _, req := range tg.Volumes {
		if req != nil && req.Type == nomadlike.VolumeTypeHost && req.PerAlloc {
			return true
		}
	}
	return false
}

func hasPerAllocVolume(node *nomadlike.Node, req *nomadlike.VolumeRequest) bool {
	prefix := req.Source + "["
	for name, hv := range node.HostVolumes {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, "]") && req.HostVolumeUsable(hv) {
			return true
		}
	}
	return false
}

// hostVolumeClass is the node's host volumes in a stable order for
// ComputedClass (empty for a node without any, so that such nodes keep
// their class).
func hostVolumeClass(node *nomadlike.Node) []string {
	if len(node.HostVolumes) == 0 {
		return nil
	}
	out := make([]string, 0, len(node.HostVolumes)+1)
	out = append(out, "host_volumes")
	for name, hv := range node.HostVolumes {
		ro := "rw"
		if hv != nil && hv.ReadOnly {
			ro = "ro"
		}
		out = append(out, name+"\x00"+ro)
	}
	sort.Strings(out[1:])
	return out
}
