package execinit

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The exec helper: how `alloc exec` runs a command inside a running task.
//
// setns(2) into a mount namespace refuses a thread that shares its
// filesystem attributes (root, cwd) with other threads, which every thread
// of a Go process does; and a PID namespace is entered only by the
// children of the thread that joins it. So the driver re-executes its
// binary with argv[0] = EnterArgv0, and this package's init function, on
// one locked OS thread: unshares the filesystem attributes of that thread
// (unshare(CLONE_FS)), joins the task's IPC, UTS, PID and mount
// namespaces, moves to the task's root (the chroot), drops to the task's
// user and capabilities (the same dropPrivileges as the task's init,
// no_new_privs included), and forks the command from that thread, so the
// command inherits all of it and is a process of the task's PID
// namespace. The driver has put the helper in the task's cgroup before it
// sends the spec. The helper then waits and exits with the command's
// status (128+N for signal N). SIGTERM to the helper SIGKILLs the
// command's process group (the command is a session leader).

// EnterArgv0 is the argv[0] marking a re-executed binary as the exec
// helper.
const EnterArgv0 = "nomadlike-exec-enter"

// EnterSpec is what the exec helper needs: the task's pid, the command
// and the task's credentials and capabilities (Spec's Root, Binds,
// Hostname and NoPivotRoot are unused: the task's root exists).
type EnterSpec struct {
	Spec
	// Pid is a process of the task whose namespaces and root are joined.
	Pid int `json:"pid"`
	// StartTime is the pid's start time (clock ticks since boot, field 22
	// of /proc/PID/stat) guarding against a reused pid; 0 skips the check.
	StartTime uint64 `json:"start_time"`
	// Tty makes the helper's stdin the command's controlling terminal.
	Tty bool `json:"tty"`
}

// enterNamespaces are joined in this order; the mount namespace last, as
// /proc of the host is needed to open the others.
var enterNamespaces = []struct {
	name string
	flag int
}{
	{"ipc", unix.CLONE_NEWIPC},
	{"uts", unix.CLONE_NEWUTS},
	{"pid", unix.CLONE_NEWPID},
	{"net", unix.CLONE_NEWNET},
	{"mnt", unix.CLONE_NEWNS},
}

// runEnter runs the helper and returns its exit code.
func runEnter() int {
	unix.CloseOnExec(ErrFD)
	unix.CloseOnExec(SpecFD)
	errPipe := os.NewFile(ErrFD, "enter-error")
	code, err := enter()
	if err != nil {
		fmt.Fprintf(errPipe, "%v", err)
		return FailedCode
	}
	return code
}

func enter() (int, error) {
	spec, err := readEnterSpec()
	if err != nil {
		return 0, err
	}
	if err := joinTask(spec); err != nil {
		return 0, err
	}
	env := spec.Env
	pathEnv, ok := lookupEnv(env, "PATH")
	if !ok {
		pathEnv = defaultPath
		env = append(env, "PATH="+defaultPath)
	}
	prog, err := lookPath(spec.Command, pathEnv)
	if err != nil {
		return 0, fmt.Errorf("command: %w", err)
	}
	if err := dropPrivileges(&spec.Spec); err != nil {
		return 0, err
	}
	var none unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil); err != nil {
		return 0, fmt.Errorf("reset signal mask: %w", err)
	}
	// SIGTERM from the driver (the session ended, the task stopped) kills
	// the command's process group. (PR_SET_PDEATHSIG cannot do it: the
	// command's parent is outside its PID namespace.)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
	argv := append([]string{spec.Command}, spec.Args...)
	p, err := os.StartProcess(prog, argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys: &syscall.SysProcAttr{
			Setsid:  true,
			Setctty: spec.Tty,
		},
	})
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", prog, err)
	}
	// EOF on the error pipe tells the driver the command runs.
	unix.Close(ErrFD)
	go func() {
		<-stop
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}()
	st, err := p.Wait()
	if err != nil {
		return FailedCode, nil
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return st.ExitCode(), nil
}

// joinTask moves this thread into the task's namespaces and root, and to
// its working directory.
func joinTask(spec *EnterSpec) error {
	if spec.StartTime != 0 {
		got, err := startTime(spec.Pid)
		if err != nil || got != spec.StartTime {
			return fmt.Errorf("task process %d is gone", spec.Pid)
		}
	}
	proc := "/proc/" + strconv.Itoa(spec.Pid)
	fds := make([]int, 0, len(enterNamespaces))
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, ns := range enterNamespaces {
		fd, err := unix.Open(proc+"/ns/"+ns.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open the task's %s namespace: %w", ns.name, err)
		}
		fds = append(fds, fd)
	}
	root, err := unix.Open(proc+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the task's root: %w", err)
	}
	defer unix.Close(root)
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare filesystem attributes: %w", err)
	}
	for i, ns := range enterNamespaces {
		if err := unix.Setns(fds[i], ns.flag); err != nil {
			return fmt.Errorf("join the task's %s namespace: %w", ns.name, err)
		}
	}
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("enter the task's root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot to the task's root: %w", err)
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
	}
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("chdir %s: %w", dir, err)
	}
	return nil
}

func readEnterSpec() (*EnterSpec, error) {
	var spec EnterSpec
	if err := readSpec("exec spec", &spec); err != nil {
		return nil, err
	}
	if spec.Pid <= 0 || spec.Command == "" {
		return nil, errors.New("exec spec: pid and command are required")
	}
	return &spec, nil
}

// startTime reads field 22 of /proc/PID/stat (the command, field 2, may
// hold spaces and parentheses: the fields that count follow its last ')').
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return 0, errors.New("short /proc stat")
	}
	return strconv.ParseUint(fields[19], 10, 64)
}
