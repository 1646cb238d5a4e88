package exec

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/plugins/exec/execinit"
)

// The in-process start (execinit/thread.go): the task is forked from a
// driver thread that holds its namespaces and chroot, instead of from a
// re-executed copy of the driver's binary. The binary's start (dynamic
// loader, Go runtime, package initialization: about 3 ms of CPU per task
// on a 2-core VM, a third of an exec task's start) is gone; the mounts
// are the same. The re-executed init stays for kernels without the
// procfs "pidns" option (before Linux 6.18) and hosts that refuse
// PTRACE_TRACEME.

// threadStartMode selects how tasks are started.
type threadStartMode int

const (
	threadStartAuto threadStartMode = iota // in-process when the kernel allows
	threadStartOff                         // always the re-executed init
)

// threadStart is threadStartAuto except in tests that cover the init.
var threadStart = threadStartAuto

var (
	pidnsOnce sync.Once
	pidnsOK   bool
)

// canStartInProcess reports whether a task with this PID mode can be
// started from a driver thread.
func canStartInProcess(privatePID bool) bool {
	if threadStart == threadStartOff {
		return false
	}
	if !privatePID {
		return true
	}
	pidnsOnce.Do(func() { pidnsOK = execinit.ProcPIDNamespaceOption() })
	return pidnsOK
}

// errNoThreadStart marks a failure of the in-process start that the
// re-executed init does not have (ptrace refused): the caller falls back.
var errNoThreadStart = errors.New("in-process start unavailable")

// startOnThread starts the task from a new locked OS thread that is given
// the task's namespaces and root and ends with this call. The returned
// process is the task, in its cgroup, with its /proc mounted.
func startOnThread(spec *initSpec, stdout, stderr *os.File, cg taskCgroup, privatePID bool) (*os.Process, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	sys := &syscall.SysProcAttr{Setsid: true, Ptrace: true}
	if privatePID {
		sys.Cloneflags = syscall.CLONE_NEWPID
	}
	setCredential(sys, spec)
	// The task is born in its cgroup: on v2 by CLONE_INTO_CGROUP, on v1
	// because the start thread joins it before the fork (cgroup_v1_thread.go).
	var v1 *v1ThreadJoin
	if c, ok := cg.(*v1Cgroup); ok {
		j, err := c.threadJoin()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStartFailed, err)
		}
		defer j.close()
		v1 = j
	}
	if v2, ok := cg.(*v2Cgroup); ok {
		fd, err := unix.Open(v2.dir(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open cgroup %s: %w", v2.rel, err)
		}
		defer unix.Close(fd)
		sys.UseCgroupFD, sys.CgroupFD = true, fd
	}
	attr := &os.ProcAttr{Dir: spec.Dir, Files: []*os.File{devnull, stdout, stderr}, Sys: sys}

	return onOwnThread(func() (*os.Process, error) { return forkOnThread(spec, attr, v1, privatePID) })
}

// onOwnThread runs fn on a new locked OS thread that is not the process's
// main thread and ends when fn returns, with whatever fn did to it.
func onOwnThread(fn func() (*os.Process, error)) (*os.Process, error) {
	type result struct {
		proc *os.Process
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread's namespaces, root and capabilities
		// are the task's, and Go ends a locked thread with its goroutine.
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// The main thread is /proc/self for every thread, and Go
			// never ends it: hold it while another thread does the work.
			p, err := onOwnThread(fn)
			runtime.UnlockOSThread()
			done <- result{p, err}
			return
		}
		p, err := fn()
		done <- result{p, err}
	}()
	r := <-done
	return r.proc, r.err
}

// setCredential sets the task's user, groups and, for a user other than
// root, its ambient capabilities (root gets the bounding set on execve).
func setCredential(sys *syscall.SysProcAttr, spec *initSpec) {
	groups := make([]uint32, 0, len(spec.Groups))
	for _, g := range spec.Groups {
		groups = append(groups, uint32(g))
	}
	sys.Credential = &syscall.Credential{Uid: uint32(spec.UID), Gid: uint32(spec.GID), Groups: groups}
	if spec.UID == 0 {
		return
	}
	ambient := spec.Ambient & spec.Caps
	for c := 0; c < 64; c++ {
		if ambient&(1<<c) != 0 {
			sys.AmbientCaps = append(sys.AmbientCaps, uintptr(c))
		}
	}
}

// afterExecStop, when set (tests), is called with the task's pid while it
// is stopped after its execve, before it runs its first instruction (on the
// start thread, which sees the task's root, not the host's).
var afterExecStop func(pid int)

// forkOnThread runs on the locked thread: it prepares the thread, joins the
// task's v1 cgroups (v1 non-nil), forks the task (stopped after execve by
// PTRACE_TRACEME), mounts its /proc and lets it run.
func forkOnThread(spec *initSpec, attr *os.ProcAttr, v1 *v1ThreadJoin, privatePID bool) (*os.Process, error) {
	th, err := execinit.PrepareThread(spec, privatePID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStartFailed, err)
	}
	defer th.Close()
	if v1 != nil {
		// After the chroot, so that the mounts are not the task's charge.
		err := v1.enter()
		// Also on every failure: a thread left in the task's cgroups is
		// the plugin in their cgroup.procs (cgroup_v1_thread.go).
		defer func() { _ = v1.leave() }()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStartFailed, err)
		}
	}
	argv := append([]string{spec.Command}, spec.Args...)
	attr.Env = th.Env
	proc, err := os.StartProcess(th.Prog, argv, attr)
	if err != nil {
		if errors.Is(err, syscall.EPERM) {
			return nil, fmt.Errorf("%w: %w", errNoThreadStart, err)
		}
		return nil, fmt.Errorf("%w: start %s: %w", ErrStartFailed, th.Prog, err)
	}
	abort := func(cause error) (*os.Process, error) {
		_ = proc.Kill()
		_, _ = proc.Wait()
		return nil, cause
	}
	if err := waitExecStop(proc.Pid); err != nil {
		return abort(fmt.Errorf("%w: %w", ErrStartFailed, err))
	}
	// Should this process die before the task is released, the kernel
	// kills the task rather than let it run half set up.
	if err := unix.PtraceSetOptions(proc.Pid, unix.PTRACE_O_EXITKILL); err != nil {
		return abort(fmt.Errorf("%w: trace the task: %w", ErrStartFailed, err))
	}
	if privatePID {
		if err := th.MountProc(proc.Pid); err != nil {
			return abort(fmt.Errorf("%w: %w", ErrStartFailed, err))
		}
	}
	if afterExecStop != nil {
		afterExecStop(proc.Pid)
	}
	if v1 != nil {
		// Out of the task's cgroups while the task is still stopped: it
		// never runs beside the thread there, nor with the raised pids.max.
		if err := v1.leave(); err != nil {
			return abort(fmt.Errorf("%w: %w", ErrStartFailed, err))
		}
	}
	if err := unix.PtraceDetach(proc.Pid); err != nil {
		return abort(fmt.Errorf("%w: release the task: %w", ErrStartFailed, err))
	}
	return proc, nil
}

// waitExecStop waits for the stop that follows a traced child's execve,
// without reaping it if it died instead (the task's waiter does that).
func waitExecStop(pid int) error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WSTOPPED|unix.WNOWAIT|unix.WALL, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for the task's execve: %w", err)
		}
		// The stop is left unconsumed: PTRACE_DETACH ends it, and the
		// task's waiter asks for exits only.
		if code := sigchldCode(&info); code == cldTrapped || code == cldStopped {
			return nil
		}
		return fmt.Errorf("task exited before it ran (si_code %d)", sigchldCode(&info))
	}
}

// si_code values of SIGCHLD (asm-generic/siginfo.h).
const (
	cldStopped = 5
	cldTrapped = 4
)

// sigchldCode returns a SIGCHLD siginfo's si_code.
func sigchldCode(info *unix.Siginfo) int32 { return info.Code }
