package nomadlike

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Host volumes (issue #17): directories of a client host that the client's
// agent configuration names (client { host_volume "NAME" { path, read_only } }),
// fingerprinted into Node.HostVolumes, requested by a group's
// volume "x" { type = "host", source = "NAME" } and mounted into tasks by
// volume_mount.

// VolumeTypeHost is the VolumeRequest.Type of a host volume.
const VolumeTypeHost = "host"

// ClientHostVolumeConfig is one host volume of a node, as Nomad's: the JSON
// decodes into github.com/hashicorp/nomad/api.HostVolumeInfo.
type ClientHostVolumeConfig struct {
	Name     string `json:"Name"`
	Path     string `json:"Path"`
	ReadOnly bool   `json:"ReadOnly"`
	// ID is set for dynamic host volumes only (none in nomadlike yet).
	ID string `json:"ID,omitempty"`
}

// HostVolumeSource is the name of the node host volume that a volume
// request claims for the allocation with the given index: the request's
// source, with "[index]" appended when PerAlloc is set (as Nomad's
// per_alloc).
func (v *VolumeRequest) HostVolumeSource(allocIndex int) string {
	if v.PerAlloc {
		return fmt.Sprintf("%s[%d]", v.Source, allocIndex)
	}
	return v.Source
}

// HostVolumeUsable reports whether the node volume hv can serve request v:
// a writable request needs a writable volume; a read-only request takes
// either, as Nomad's scheduler.
func (v *VolumeRequest) HostVolumeUsable(hv *ClientHostVolumeConfig) bool {
	return hv != nil && (v.ReadOnly || !hv.ReadOnly)
}

func copyHostVolumes(in map[string]*ClientHostVolumeConfig) map[string]*ClientHostVolumeConfig {
	if in == nil {
		return nil
	}
	out := maps.Clone(in)
	for k, v := range out {
		if v != nil {
			c := *v
			out[k] = &c
		}
	}
	return out
}

// sortedVolumeNames returns the names of the non-nil volume requests in
// order.
func sortedVolumeNames(vols map[string]*VolumeRequest) []string {
	out := make([]string, 0, len(vols))
	for name, v := range vols {
		if v != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// validMountDestination reports whether a volume_mount destination names a
// path inside the task (the drivers' rule, drivers.CleanTaskPath): not the
// task's root, no ".." element, no NUL.
func validMountDestination(p string) bool {
	if strings.ContainsRune(p, 0) {
		return false
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return false
		}
	}
	return path.Clean("/"+p) != "/"
}
