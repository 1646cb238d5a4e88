package httpapi

import (
	"fmt"
	"net/http"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/acl"
)

// Host volumes (issue #17): as Nomad's job register, a job's host volume
// requests need the token's host_volume rule for the source: a read-only
// request needs mount-readonly or mount-readwrite, a writable one
// mount-readwrite. Checked on job register and plan, before anything is
// stored.

// checkHostVolumeACL returns a permission error naming the first volume the
// caller may not mount; nil with ACLs off or a management token.
func checkHostVolumeACL(r *http.Request, job *nomadlike.Job) error {
	a := aclFrom(r)
	if a == nil || a.IsManagement() {
		return nil
	}
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		for name, vol := range tg.Volumes {
			if vol == nil || vol.Type != nomadlike.VolumeTypeHost {
				continue
			}
			rw := a.AllowHostVolumeOperation(vol.Source, acl.HostVolumeCapabilityMountReadWrite)
			ro := rw || a.AllowHostVolumeOperation(vol.Source, acl.HostVolumeCapabilityMountReadOnly)
			if ok := ro && (vol.ReadOnly || rw); !ok {
				want := acl.HostVolumeCapabilityMountReadWrite
				if vol.ReadOnly {
					want = acl.HostVolumeCapabilityMountReadOnly + " or " + acl.HostVolumeCapabilityMountReadWrite
				}
				return fmt.Errorf("TaskGroups[%s].Volumes[%s]: %w: the token does not grant %s on host volume %q",
					tg.Name, name, nomadlike.ErrPermission, want, vol.Source)
			}
		}
	}
	return nil
}
