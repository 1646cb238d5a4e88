package execinit

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// This file runs in the init, inside the task's fresh mount namespace, before
// privileges are dropped: it builds the chroot. Every path inside the chroot
// is resolved with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) from the root
// directory, and mounts go through the resulting /proc/self/fd/N, so a
// symlink planted in the task directory cannot redirect a mount outside it.

// resolveFlags confine a path lookup to the chroot and refuse every symlink.
const resolveFlags = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// rootfs is the chroot being built.
type rootfs struct {
	dir string // host path
	fd  int    // O_PATH fd of dir's bind mount
}

// openBeneath opens rel (relative to the chroot) with flags, never leaving
// the chroot and never following a symlink.
func (r *rootfs) openBeneath(rel string, flags uint64) (int, error) {
	rel = strings.TrimPrefix(path.Clean("/"+rel), "/")
	if rel == "" {
		rel = "."
	}
	how := &unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolveFlags}
	for {
		fd, err := unix.Openat2(r.fd, rel, how)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("open %s in chroot: %w", "/"+rel, err)
		}
		return fd, nil
	}
}

// ensure creates rel and its missing parents (directories with mode 0755; the
// last one a directory with mode, or an empty file when dir is false).
func (r *rootfs) ensure(rel string, dir bool, mode uint32) error {
	rel = strings.TrimPrefix(path.Clean("/"+rel), "/")
	if rel == "" {
		return nil
	}
	parts := strings.Split(rel, "/")
	parent := ""
	for i, name := range parts {
		last := i == len(parts)-1
		pfd, err := r.openBeneath(parent, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		switch {
		case !last || dir:
			m := uint32(0o755)
			if last {
				m = mode
			}
			err = unix.Mkdirat(pfd, name, m)
		default:
			var fd int
			fd, err = unix.Openat(pfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
			if err == nil {
				unix.Close(fd)
			}
		}
		unix.Close(pfd)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create %s in chroot: %w", "/"+path.Join(parent, name), err)
		}
		parent = path.Join(parent, name)
	}
	// Whatever existed must be of the right kind and no symlink.
	fd, err := r.openBeneath(rel, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat /%s in chroot: %w", rel, err)
	}
	if isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR; isDir != dir {
		return fmt.Errorf("/%s in chroot: mount point is not a %s", rel, map[bool]string{true: "directory", false: "file"}[dir])
	}
	return nil
}

// mountAt mounts onto rel (which must exist) through an fd path.
func (r *rootfs) mountAt(rel, source, fstype string, flags uintptr, data string) error {
	fd, err := r.openBeneath(rel, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(source, fdPath(fd), fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s in chroot: %w", source, "/"+strings.TrimPrefix(rel, "/"), err)
	}
	return nil
}

// setAttr applies mount attributes recursively to the mount at rel.
func (r *rootfs) setAttr(rel string, attr uint64) error {
	return r.setMountAttr(rel, attr, unix.AT_RECURSIVE)
}

// setAttrTop applies mount attributes to the mount at rel only, not to the
// mounts below it.
func (r *rootfs) setAttrTop(rel string, attr uint64) error {
	return r.setMountAttr(rel, attr, 0)
}

func (r *rootfs) setMountAttr(rel string, attr uint64, recursive uint) error {
	if attr == 0 {
		return nil
	}
	fd, err := r.openBeneath(rel, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	err = unix.MountSetattr(fd, "", uint(unix.AT_EMPTY_PATH)|recursive, &unix.MountAttr{Attr_set: attr})
	if errors.Is(err, unix.ENOSYS) {
		// Kernels before 5.12: remount the top mount only.
		var flags uintptr = unix.MS_REMOUNT | unix.MS_BIND
		if attr&unix.MOUNT_ATTR_RDONLY != 0 {
			flags |= unix.MS_RDONLY
		}
		if attr&unix.MOUNT_ATTR_NOSUID != 0 {
			flags |= unix.MS_NOSUID
		}
		if attr&unix.MOUNT_ATTR_NODEV != 0 {
			flags |= unix.MS_NODEV
		}
		if attr&unix.MOUNT_ATTR_NOEXEC != 0 {
			flags |= unix.MS_NOEXEC
		}
		err = unix.Mount("", fdPath(fd), "", flags, "")
	}
	if err != nil {
		return fmt.Errorf("set mount attributes of /%s in chroot: %w", strings.TrimPrefix(rel, "/"), err)
	}
	return nil
}

// bindSelf bind-mounts rel onto itself so it can get its own attributes.
func (r *rootfs) bindSelf(rel string) error {
	fd, err := r.openBeneath(rel, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(fdPath(fd), fdPath(fd), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind /%s onto itself in chroot: %w", strings.TrimPrefix(rel, "/"), err)
	}
	return nil
}

func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// bind bind-mounts a host path into the chroot.
func (r *rootfs) bind(b BindMount) error {
	st, err := os.Stat(b.Source)
	if err != nil {
		return fmt.Errorf("bind mount source: %w", err)
	}
	if err := r.ensure(b.Target, st.IsDir(), 0o755); err != nil {
		return err
	}
	if err := r.mountAt(b.Target, b.Source, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	// No bind gives the task a setuid program or a device node: nosuid and
	// nodev always.
	attr := uint64(unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV)
	if b.ReadOnly {
		attr |= unix.MOUNT_ATTR_RDONLY
	}
	if b.NoExec {
		attr |= unix.MOUNT_ATTR_NOEXEC
	}
	return r.setAttr(b.Target, attr)
}

// procMasked are /proc files hidden from the task (bound to /dev/null);
// procReadOnly are made read-only, as container runtimes do.
var (
	procMasked   = []string{"proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug", "proc/latency_stats"}
	procReadOnly = []string{"proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus", "proc/fs"}
)

// mountProc mounts a proc filesystem for the task's PID namespace.
func (r *rootfs) mountProc() error {
	if err := r.ensure("proc", true, 0o555); err != nil {
		return err
	}
	if err := r.mountAt("proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	for _, p := range procMasked {
		if err := r.mountAt(p, "/dev/null", "", unix.MS_BIND, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return err
		}
		// The mask is the null device: readable as empty, nothing more.
		if err := r.setAttr(p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC); err != nil {
			return err
		}
	}
	for _, p := range procReadOnly {
		if err := r.bindSelf(p); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return err
		}
		if err := r.setAttr(p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC); err != nil {
			return err
		}
	}
	return nil
}

// DevNode is a character device of the task's /dev.
type DevNode struct {
	Name         string
	Major, Minor uint32
}

// DevNodes are the character devices the init creates in the task's /dev.
// The driver's device cgroup allows exactly these (and the task's own
// pseudo-terminals); the list is the driver's to read, not to change.
var DevNodes = []DevNode{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

// devLinks are the symlinks of the task's /dev.
var devLinks = [][2]string{
	{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
	{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
}

// mountDev builds a minimal /dev on a tmpfs: the usual character devices, a
// private devpts and /dev/shm (private tmpfs, or the host's with hostIPC).
func (r *rootfs) mountDev(hostIPC bool) error {
	if err := r.ensure("dev", true, 0o755); err != nil {
		return err
	}
	if err := r.mountAt("dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	devfd, err := r.openBeneath("dev", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer unix.Close(devfd)
	for _, n := range DevNodes {
		if err := unix.Mknodat(devfd, n.Name, unix.S_IFCHR|0o666, int(unix.Mkdev(n.Major, n.Minor))); err != nil {
			return fmt.Errorf("mknod /dev/%s: %w", n.Name, err)
		}
	}
	for _, l := range devLinks {
		if err := unix.Symlinkat(l[0], devfd, l[1]); err != nil {
			return fmt.Errorf("symlink /dev/%s: %w", l[1], err)
		}
	}
	if err := unix.Mkdirat(devfd, "pts", 0o755); err != nil {
		return fmt.Errorf("mkdir /dev/pts: %w", err)
	}
	if err := r.mountAt("dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return err
	}
	if err := unix.Mkdirat(devfd, "shm", 0o1777); err != nil {
		return fmt.Errorf("mkdir /dev/shm: %w", err)
	}
	if hostIPC {
		err = r.bind(BindMount{Source: "/dev/shm", Target: "/dev/shm", NoExec: true})
	} else {
		err = r.mountAt("dev/shm", "shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777")
	}
	if err != nil {
		return err
	}
	// /dev is the one mount where device nodes work: make it read-only so
	// that no task, root included, adds one (its own /dev/pts and /dev/shm
	// mounts stay writable). With nodev on every other mount, a device node
	// the task creates elsewhere cannot be opened.
	return r.setAttrTop("dev", unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
}

// buildRootfs makes spec.Root the task's root filesystem: it bind-mounts it
// onto itself (pivot_root needs a mount point), mounts the binds, /proc,
// /dev and /tmp, then pivots (or chroots) into it.
func buildRootfs(spec *Spec) error {
	r, err := mountRootfs(spec, true)
	if err != nil {
		return err
	}
	defer unix.Close(r.fd)
	return r.enter(spec.NoPivotRoot)
}

// mountRootfs mounts the chroot below spec.Root, /proc included when
// withProc is set (otherwise only its mount point is made), in the calling
// thread's mount namespace, which must be a fresh one. The caller owns the
// returned root's fd.
func mountRootfs(spec *Spec, withProc bool) (*rootfs, error) {
	// Nothing mounted from here on may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("make mounts private: %w", err)
	}
	if err := unix.Mount(spec.Root, spec.Root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("bind task dir %s onto itself: %w", spec.Root, err)
	}
	fd, err := unix.Open(spec.Root, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open task dir %s: %w", spec.Root, err)
	}
	r := &rootfs{dir: spec.Root, fd: fd}
	if err := r.mountAll(spec, withProc); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

func (r *rootfs) mountAll(spec *Spec, withProc bool) error {
	// The task directory, and its /tmp, hold files the task or its job
	// wrote: no setuid program and no device node there works.
	if err := r.setAttr(".", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV); err != nil {
		return err
	}
	for _, b := range spec.Binds {
		if err := r.bind(b); err != nil {
			return err
		}
	}
	var err error
	if withProc {
		err = r.mountProc()
	} else {
		err = r.ensure("proc", true, 0o555)
	}
	if err != nil {
		return err
	}
	if err := r.mountDev(spec.HostIPC); err != nil {
		return err
	}
	return r.ensure("tmp", true, 0o1777)
}

// enter makes the chroot the process's root directory.
func (r *rootfs) enter(noPivot bool) error {
	if err := unix.Fchdir(r.fd); err != nil {
		return fmt.Errorf("chdir to task dir: %w", err)
	}
	if noPivot {
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		return unix.Chdir("/")
	}
	// pivot_root(".", ".") stacks the old root on top of the new one; the
	// lazy unmount then drops it and leaves the chroot as "/".
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into task dir (set no_pivot_root if the host root is a ramdisk): %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}
