package execinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The init hook. The driver starts /proc/self/exe with argv[0] = Argv0 in
// new namespaces; this package's init function notices and never returns:
// the process becomes the task through execve, or exits with FailedCode
// after writing the reason to ErrFD.
func init() {
	if len(os.Args) > 0 && os.Args[0] == EnterArgv0 {
		// Namespaces, root and credentials are set on this thread, and
		// the command is forked from it.
		runtime.LockOSThread()
		os.Exit(runEnter())
	}
	if len(os.Args) == 0 || os.Args[0] != Argv0 {
		return
	}
	// Capabilities, keepcaps and the bounding set are per thread: do all of
	// it, and the execve, on this one thread.
	runtime.LockOSThread()
	err := runInit()
	// runInit only returns on failure.
	errPipe := os.NewFile(ErrFD, "init-error")
	fmt.Fprintf(errPipe, "%v", err)
	os.Exit(FailedCode)
}

// defaultPath is the PATH used to find the command when the task's
// environment has none, and given to the task in that case.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// runInit reads the spec, builds the chroot, drops privileges and execs the
// task. It returns only on failure.
func runInit() error {
	unix.CloseOnExec(ErrFD)
	spec, err := readInitSpec()
	if err != nil {
		return err
	}
	unix.Umask(0)
	if spec.NetNS != "" {
		if err := joinNetns(spec.NetNS); err != nil {
			return err
		}
	}
	if err := buildRootfs(spec); err != nil {
		return err
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	env := spec.Env
	pathEnv, ok := lookupEnv(env, "PATH")
	if !ok {
		pathEnv = defaultPath
		env = append(env, "PATH="+defaultPath)
	}
	prog, err := lookPath(spec.Command, pathEnv)
	if err != nil {
		return fmt.Errorf("config.command: %w", err)
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
	}
	if err := unix.Chdir(dir); err != nil {
		return fmt.Errorf("chdir %s: %w", dir, err)
	}
	if err := dropPrivileges(spec); err != nil {
		return err
	}
	unix.Umask(0o022)
	// execve keeps the signal mask: start the task with nothing blocked.
	var none unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil); err != nil {
		return fmt.Errorf("reset signal mask: %w", err)
	}
	argv := append([]string{spec.Command}, spec.Args...)
	if err := unix.Exec(prog, argv, env); err != nil {
		return fmt.Errorf("execve %s: %w", prog, err)
	}
	return errors.New("execve returned")
}

// readInitSpec reads the spec from SpecFD. The driver writes it only
// after moving this process into the task's cgroup; EOF without a spec means
// the driver gave up.
func readInitSpec() (*Spec, error) {
	var spec Spec
	if err := readSpec("init spec", &spec); err != nil {
		return nil, err
	}
	return &spec, nil
}

// readSpec decodes the JSON the driver writes to SpecFD into v.
func readSpec(what string, v any) error {
	f := os.NewFile(SpecFD, what)
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if len(b) == 0 {
		return fmt.Errorf("read %s: driver closed the pipe", what)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// lookPath finds the command inside the chroot: a name with a slash is used
// as is (relative to the working directory "/"), anything else is searched
// in pathEnv.
func lookPath(cmd, pathEnv string) (string, error) {
	if strings.Contains(cmd, "/") {
		p := cmd
		if !path.IsAbs(p) {
			p = "/" + p
		}
		if err := checkExecutable(p); err != nil {
			return "", err
		}
		return p, nil
	}
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, cmd)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q not found in PATH %q inside the chroot", cmd, pathEnv)
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("%q: %w", p, err)
	}
	if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%q: not an executable file", p)
	}
	return nil
}

// dropPrivileges shrinks the bounding set, switches to the task's user and
// groups, sets the capability sets (a root task keeps spec.Caps; another
// user keeps only spec.Ambient, as ambient capabilities, which survive
// execve) and sets no_new_privs.
func dropPrivileges(spec *Spec) error {
	caps := spec.Caps
	if err := dropBoundingSet(caps, spec.LastCap); err != nil {
		return err
	}
	root := spec.UID == 0
	if !root {
		// Keep the permitted set across setuid so capset can pick from it.
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set keepcaps: %w", err)
		}
	}
	if err := syscall.Setgroups(spec.Groups); err != nil {
		return fmt.Errorf("setgroups %v: %w", spec.Groups, err)
	}
	if err := syscall.Setresgid(spec.GID, spec.GID, spec.GID); err != nil {
		return fmt.Errorf("setgid %d: %w", spec.GID, err)
	}
	if err := syscall.Setresuid(spec.UID, spec.UID, spec.UID); err != nil {
		return fmt.Errorf("setuid %d: %w", spec.UID, err)
	}

	permitted, inheritable := caps, uint64(0)
	if !root {
		permitted = spec.Ambient & caps
		inheritable = permitted
	}
	if err := capset(permitted, permitted, inheritable); err != nil {
		return err
	}
	if !root {
		for c := 0; c < 64; c++ {
			if !has(permitted, c) {
				continue
			}
			if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
				return fmt.Errorf("raise ambient capability %d: %w", c, err)
			}
		}
	}
	// no_new_privs: no execve by the task or its children gains privileges,
	// neither through a setuid or setgid bit nor through file capabilities,
	// even on a filesystem that would honour them. It is inherited and
	// cannot be unset.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	return nil
}

// dropBoundingSet removes every capability not in caps from the calling
// thread's bounding set. last is the highest capability the kernel knows
// (0: read it from /proc).
func dropBoundingSet(caps uint64, last int) error {
	if last <= 0 || last > 63 {
		last = LastCap()
	}
	for c := 0; c <= last; c++ {
		if has(caps, c) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// has reports whether capability c is in the bit mask set.
func has(set uint64, c int) bool { return set&(1<<c) != 0 }

// words splits a capability mask into capset's two 32-bit words.
func words(set uint64) (lo, hi uint32) { return uint32(set), uint32(set >> 32) }

// capset sets the calling thread's capability sets.
func capset(effective, permitted, inheritable uint64) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	data[0].Effective, data[1].Effective = words(effective)
	data[0].Permitted, data[1].Permitted = words(permitted)
	data[0].Inheritable, data[1].Inheritable = words(inheritable)
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// LastCap returns the highest capability number the kernel knows. The
// driver reads it once and sends it in Spec.LastCap.
func LastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 40
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 || n > 63 {
		return 40
	}
	return n
}
