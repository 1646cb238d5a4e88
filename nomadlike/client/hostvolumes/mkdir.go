package hostvolumes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers/beneath"
	"github.com/nomadlike/nomadlike/nomadlike"
)

// Errors of the mkdir plugin.
var (
	// ErrBadID: the volume ID is not a UUID (it names the directory).
	ErrBadID = errors.New("host volume ID is not a UUID")
	// ErrNoSpace: the file system has less free space than capacity_min.
	ErrNoSpace = errors.New("not enough free space for the volume's capacity_min")
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// baseMode is the mode of host_volumes_dir: traversable, not listable.
const baseMode = 0o711

// Mkdir is the built-in "mkdir" plugin, rooted at Dir (the client's
// host_volumes_dir).
type Mkdir struct {
	Dir string
}

// Created is what Create made.
type Created struct {
	HostPath      string
	CapacityBytes int64
}

// Create makes the volume's directory Dir/<ID> with the mode, uid and gid
// of its parameters (default 0755, the agent's owner). The directory is
// made 0700 first, owned, then given its mode, so it is never open wider
// than asked on the way. An existing directory (a create retried after a
// crash) is reused. The file system must have capacity_min free;
// CapacityBytes is capacity_max, else capacity_min (mkdir sets no quota).
func (m Mkdir) Create(v *nomadlike.HostVolume) (Created, error) {
	if !uuidRE.MatchString(v.ID) {
		return Created{}, fmt.Errorf("%w: %q", ErrBadID, v.ID)
	}
	if err := os.MkdirAll(m.Dir, baseMode); err != nil {
		return Created{}, fmt.Errorf("host_volumes_dir: %w", err)
	}
	d, err := beneath.Open(m.Dir)
	if err != nil {
		return Created{}, err
	}
	defer d.Close()
	if v.RequestedCapacityMinBytes > 0 {
		var fs unix.Statfs_t
		if err := unix.Statfs(m.Dir, &fs); err != nil {
			return Created{}, fmt.Errorf("statfs %s: %w", m.Dir, err)
		}
		if free := int64(fs.Bavail) * fs.Bsize; free < v.RequestedCapacityMinBytes {
			return Created{}, fmt.Errorf("%w: %d bytes free in %s, %d asked", ErrNoSpace, free, m.Dir, v.RequestedCapacityMinBytes)
		}
	}
	if err := d.MkdirAll(v.ID, 0o700); err != nil {
		return Created{}, err
	}
	uid, gid := nomadlike.HostVolumeOwner(v.Parameters)
	if uid >= 0 || gid >= 0 {
		if err := d.Chown(v.ID, uid, gid); err != nil {
			return Created{}, err
		}
	}
	if err := d.Chmod(v.ID, os.FileMode(nomadlike.HostVolumeMode(v.Parameters))); err != nil {
		return Created{}, err
	}
	capacity := v.RequestedCapacityMaxBytes
	if capacity == 0 {
		capacity = v.RequestedCapacityMinBytes
	}
	return Created{HostPath: filepath.Join(d.Path(), v.ID), CapacityBytes: capacity}, nil
}

// Delete removes the volume's directory and everything in it, never
// following a symbolic link nor crossing a mount point. A missing
// directory is not an error.
func (m Mkdir) Delete(id string) error {
	if !uuidRE.MatchString(id) {
		return fmt.Errorf("%w: %q", ErrBadID, id)
	}
	d, err := beneath.Open(m.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return d.RemoveAll(id)
}
