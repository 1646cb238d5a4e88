package containerd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apievents "github.com/containerd/containerd/api/events"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/events"
	"github.com/containerd/errdefs"
	"github.com/containerd/typeurl/v2"
	"github.com/distribution/reference"
	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
)

// ErrImageUnavailable is returned when an image is not present, has no
// archive to import, and cannot be pulled.
var ErrImageUnavailable = errors.New("image unavailable")

// ensureImage returns the task's image, importing image_archive or pulling
// when it is not present, and unpacks it for the snapshotter.
func (d *Driver) ensureImage(ctx context.Context, c *containerd.Client, tc *TaskConfig, task *drivers.TaskConfig) (containerd.Image, error) {
	cfg := d.config()
	named, err := reference.ParseDockerRef(tc.Image)
	if err != nil {
		return nil, fmt.Errorf("config.image: %w", err)
	}
	ref := named.String()

	d.importMu.Lock()
	defer d.importMu.Unlock()

	img, err := c.GetImage(ctx, ref)
	switch {
	case err == nil:
	case !errdefs.IsNotFound(err):
		return nil, fmt.Errorf("look up image %s: %w", ref, err)
	case tc.ImageArchive != "":
		img, err = d.importArchive(ctx, c, ref, tc.ImageArchive, task)
		if err != nil {
			return nil, err
		}
	default:
		timeout := 2 * time.Minute
		if cfg.PullTimeout != "" {
			timeout, _ = time.ParseDuration(cfg.PullTimeout)
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		img, err = c.Pull(pctx, ref, containerd.WithPullUnpack, containerd.WithPullSnapshotter(cfg.Snapshotter))
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not present and could not be pulled (set config.image_archive to import it from a tarball): %v", ErrImageUnavailable, ref, err)
		}
	}
	unpacked, err := img.IsUnpacked(ctx, cfg.Snapshotter)
	if err != nil {
		return nil, fmt.Errorf("check image %s: %w", ref, err)
	}
	if !unpacked {
		if err := img.Unpack(ctx, cfg.Snapshotter); err != nil {
			return nil, fmt.Errorf("unpack image %s with %s: %w", ref, cfg.Snapshotter, err)
		}
	}
	return img, nil
}

// importArchive imports an OCI or docker-archive tarball and returns the
// image named ref from it.
func (d *Driver) importArchive(ctx context.Context, c *containerd.Client, ref, archive string, task *drivers.TaskConfig) (containerd.Image, error) {
	f, err := d.openArchive(archive, task)
	if err != nil {
		return nil, fmt.Errorf("%w: config.image_archive: %w", ErrImageUnavailable, err)
	}
	defer f.Close()
	p := f.Name()
	imgs, err := c.Import(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("%w: import %s: %v", ErrImageUnavailable, p, err)
	}
	d.logger.Info("imported image archive", "archive", p, "images", len(imgs))
	img, err := c.GetImage(ctx, ref)
	if err != nil {
		names := make([]string, len(imgs))
		for i, im := range imgs {
			names[i] = im.Name
		}
		return nil, fmt.Errorf("%w: archive %s holds %v, not %s", ErrImageUnavailable, p, names, ref)
	}
	return img, nil
}

// openArchive opens image_archive for reading. A relative path is resolved
// beneath the allocation directory from the task directory, and an absolute
// one beneath its image_archive_dirs entry, so a planted symlink cannot make
// the driver import a host file; an absolute path outside those needs
// volumes.enabled (checked by the validation) and is opened as it is.
func (d *Driver) openArchive(archive string, task *drivers.TaskConfig) (*os.File, error) {
	root, rel := taskRelative(task.AllocDir, task.TaskDir.Dir, archive)
	if filepath.IsAbs(archive) {
		pc := d.config()
		dir := pc.policy().archiveDir(archive)
		if dir == "" {
			return os.Open(archive)
		}
		root, rel = dir, strings.TrimPrefix(filepath.Clean(archive)[len(dir):], "/")
	}
	f, err := openBeneath(root, rel, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", archive)
	}
	return f, nil
}

// oomContainerID extracts the container ID of a /tasks/oom event.
func oomContainerID(ev *events.Envelope) string {
	if ev == nil || ev.Event == nil {
		return ""
	}
	v, err := typeurl.UnmarshalAny(ev.Event)
	if err != nil {
		return ""
	}
	if oom, ok := v.(*apievents.TaskOOM); ok {
		return oom.ContainerID
	}
	return ""
}
