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
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/typeurl/v2"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
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

	img, err := findImage(ctx, c, named)
	switch {
	case err == nil:
	case !errdefs.IsNotFound(err):
		return nil, fmt.Errorf("look up image %s: %w", ref, err)
	case tc.ImageArchive != "":
		d.taskEvent(task, "Importing image", map[string]string{"image": ref, "image_archive": tc.ImageArchive})
		img, err = d.importArchive(ctx, c, named, tc.ImageArchive, task)
		if err != nil {
			return nil, err
		}
		d.taskEvent(task, "Image imported", map[string]string{"image": ref, "digest": img.Target().Digest.String()})
	default:
		timeout := 2 * time.Minute
		if cfg.PullTimeout != "" {
			timeout, _ = time.ParseDuration(cfg.PullTimeout)
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		d.taskEvent(task, "Downloading image", map[string]string{"image": ref})
		img, err = c.Pull(pctx, ref, containerd.WithPullUnpack, containerd.WithPullSnapshotter(cfg.Snapshotter))
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not present and could not be pulled (set config.image_archive to import it from a tarball): %v", ErrImageUnavailable, ref, err)
		}
		d.taskEvent(task, "Image pulled", map[string]string{"image": ref, "digest": img.Target().Digest.String()})
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

// findImage returns the image want names from containerd's store: the one
// stored under its normalized name, or else one stored under another
// spelling of the same reference ("bars/busybox:1" for
// docker.io/bars/busybox:1, or any tag of the repository whose manifest has
// the wanted digest), which it then also names want. The error is NotFound
// when no image matches.
func findImage(ctx context.Context, c *containerd.Client, want reference.Named) (containerd.Image, error) {
	img, err := c.GetImage(ctx, want.String())
	if !errdefs.IsNotFound(err) {
		return img, err
	}
	all, lerr := c.ImageService().List(ctx)
	if lerr != nil {
		return nil, lerr
	}
	for _, im := range all {
		if imageMatches(want, im.Name, im.Target.Digest) {
			return nameImage(ctx, c, want, im)
		}
	}
	return nil, err
}

// imageMatches reports whether an image stored as name, whose manifest (or
// index) has digest target, is the image want names, comparing references
// as Docker does: "busybox" is docker.io/library/busybox:latest, and a
// digest reference matches by repository and digest whatever the tag.
func imageMatches(want reference.Named, name string, target digest.Digest) bool {
	got, err := reference.ParseDockerRef(name)
	if err != nil || got.Name() != want.Name() {
		return false
	}
	if wd, ok := want.(reference.Digested); ok {
		return wd.Digest() == target
	}
	wt, wok := want.(reference.Tagged)
	gt, gok := got.(reference.Tagged)
	return wok && gok && wt.Tag() == gt.Tag()
}

// nameImage gives im the name want in containerd's store (creating or
// updating that record) so later lookups find it directly.
func nameImage(ctx context.Context, c *containerd.Client, want reference.Named, im images.Image) (containerd.Image, error) {
	if im.Name != want.String() {
		alias := images.Image{Name: want.String(), Target: im.Target, Labels: im.Labels}
		is := c.ImageService()
		if _, err := is.Create(ctx, alias); errdefs.IsAlreadyExists(err) {
			_, err = is.Update(ctx, alias, "target")
			if err != nil {
				return nil, fmt.Errorf("name image %s as %s: %w", im.Name, want, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("name image %s as %s: %w", im.Name, want, err)
		}
	}
	return c.GetImage(ctx, want.String())
}

// importArchive imports an OCI or docker-archive tarball and returns the
// image want names from it, matching the archive's names as Docker does.
func (d *Driver) importArchive(ctx context.Context, c *containerd.Client, want reference.Named, archive string, task *drivers.TaskConfig) (containerd.Image, error) {
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
	names := make([]string, len(imgs))
	for i, im := range imgs {
		if imageMatches(want, im.Name, im.Target.Digest) {
			return nameImage(ctx, c, want, im)
		}
		names[i] = im.Name
	}
	return nil, fmt.Errorf("%w: archive %s holds %v, not %s", ErrImageUnavailable, p, names, want)
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
