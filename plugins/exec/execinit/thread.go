package execinit

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// The in-process start: the driver builds a task's namespaces and chroot on
// one of its own OS threads and forks the task from there, so no process
// of the driver's binary is started per task.
//
// The thread (locked by the caller and never unlocked, so that Go ends it
// with the goroutine) unshares its filesystem attributes and its mount,
// UTS and IPC namespaces, joins the task's network namespace, mounts the
// chroot as the init does, pivots into it, shrinks its capability bounding
// set and sets no_new_privs. The task forked from it (in a new PID
// namespace, stopped by ptrace right after its execve) inherits all of it.
// A process of the task's PID namespace must exist before its /proc can be
// mounted: the driver then calls MountProc, which mounts a procfs for that
// namespace (fsconfig "pidns", Linux 6.18) with the same masks, before the
// task runs its first instruction.

// Thread is a driver thread turned into a task's environment.
type Thread struct {
	r    *rootfs
	proc int // O_PATH fd of the host's /proc
	// Prog is the command's path in the chroot; Env the task's environment
	// (with PATH).
	Prog string
	Env  []string
}

// PrepareThread turns the calling thread into the task's environment. The
// caller has locked the thread and never unlocks it. With privatePID the
// task's /proc is left to MountProc; otherwise the host's PID namespace's
// /proc is mounted now. On error the thread is unusable too.
func PrepareThread(spec *Spec, privatePID bool) (*Thread, error) {
	proc, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /proc: %w", err)
	}
	t := &Thread{proc: proc}
	if err := t.prepare(spec, privatePID); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *Thread) prepare(spec *Spec, privatePID bool) error {
	flags := unix.CLONE_FS | unix.CLONE_NEWNS | unix.CLONE_NEWUTS
	if !spec.HostIPC {
		flags |= unix.CLONE_NEWIPC
	}
	if err := unix.Unshare(flags); err != nil {
		return fmt.Errorf("unshare namespaces: %w", err)
	}
	if spec.NetNS != "" {
		if err := joinNetns(spec.NetNS); err != nil {
			return err
		}
	}
	unix.Umask(0)
	r, err := mountRootfs(spec, !privatePID)
	if err != nil {
		return err
	}
	t.r = r
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	if err := r.enter(spec.NoPivotRoot); err != nil {
		return err
	}
	t.Env = spec.Env
	pathEnv, ok := lookupEnv(t.Env, "PATH")
	if !ok {
		pathEnv = defaultPath
		t.Env = append(t.Env, "PATH="+defaultPath)
	}
	if t.Prog, err = lookPath(spec.Command, pathEnv); err != nil {
		return fmt.Errorf("config.command: %w", err)
	}
	unix.Umask(0o022)
	// The bounding set and no_new_privs are the thread's and pass to the
	// task; its user, groups and ambient capabilities are set by the fork.
	if err := dropBoundingSet(spec.Caps, spec.LastCap); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	return nil
}

// MountProc mounts the /proc of pid's PID namespace in the chroot, with the
// init's masks and read-only parts. The thread must still be in the task's
// mount namespace (it is until it ends).
func (t *Thread) MountProc(pid int) error {
	ns, err := unix.Openat(t.proc, strconv.Itoa(pid)+"/ns/pid", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the task's PID namespace: %w", err)
	}
	defer unix.Close(ns)
	mnt, err := newProcMount(ns)
	if err != nil {
		return err
	}
	err = t.r.attach(mnt, "proc")
	unix.Close(mnt)
	if err != nil {
		return err
	}
	for _, p := range procMasked {
		err := t.r.cloneOnto("dev/null", p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	for _, p := range procReadOnly {
		err := t.r.cloneOnto(p, p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

// Close releases the thread's file descriptors.
func (t *Thread) Close() {
	if t.r != nil {
		unix.Close(t.r.fd)
		t.r = nil
	}
	if t.proc >= 0 {
		unix.Close(t.proc)
		t.proc = -1
	}
}

// newProcMount returns a detached procfs mount for the PID namespace ns.
func newProcMount(ns int) (int, error) {
	fs, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen proc: %w", err)
	}
	defer unix.Close(fs)
	if err := unix.FsconfigSetFd(fs, "pidns", ns); err != nil {
		return -1, fmt.Errorf("proc pidns option: %w", err)
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("create procfs: %w", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsmount proc: %w", err)
	}
	return mnt, nil
}

// ProcPIDNamespaceOption reports whether the kernel mounts a procfs for a
// given PID namespace (the "pidns" option, Linux 6.18), which the in-process
// start needs for tasks with a private PID namespace.
func ProcPIDNamespaceOption() bool {
	ns, err := unix.Open("/proc/self/ns/pid", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(ns)
	mnt, err := newProcMount(ns)
	if err != nil {
		return false
	}
	unix.Close(mnt)
	return true
}

// attach moves the detached mount mnt onto rel in the chroot.
func (r *rootfs) attach(mnt int, rel string) error {
	fd, err := r.openBeneath(rel, unix.O_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.MoveMount(mnt, "", fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount on /%s in chroot: %w", rel, err)
	}
	return nil
}

// cloneOnto bind-mounts src onto dst (both in the chroot, resolved without
// symlinks) with attributes attr, through the new mount API: the thread's
// root has no /proc to name file descriptors by.
func (r *rootfs) cloneOnto(src, dst string, attr uint64) error {
	// dst first: a missing one (an older kernel's /proc) is skipped.
	dfd, err := r.openBeneath(dst, unix.O_PATH)
	if err != nil {
		return err
	}
	unix.Close(dfd)
	sfd, err := r.openBeneath(src, unix.O_PATH)
	if err != nil {
		return err
	}
	tree, err := unix.OpenTree(sfd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	unix.Close(sfd)
	if err != nil {
		return fmt.Errorf("clone /%s in chroot: %w", src, err)
	}
	defer unix.Close(tree)
	err = unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: attr})
	if err != nil {
		return fmt.Errorf("set mount attributes of /%s in chroot: %w", dst, err)
	}
	return r.attach(tree, dst)
}
