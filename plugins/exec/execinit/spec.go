// Package execinit is the exec driver's task init: the code that runs in a
// task's fresh namespaces, builds its chroot, drops privileges and execs
// the task. The driver re-executes its own binary with argv[0] = Argv0;
// this package's init function takes over before the heavy packages of the
// binary (gRPC, protobuf, containerd clients) initialize, since it depends
// only on the standard library and x/sys/unix, so that starting a task
// costs a small part of a full start of the binary. On Linux 6.18+ the
// driver does not re-execute itself at all: PrepareThread and MountProc
// (thread.go) build the same sandbox on a driver thread the task is forked
// from. Beyond that, it has no API but the spec the driver sends.
package execinit

// Argv0 is the argv[0] marking a re-executed binary as the task init.
const Argv0 = "nomadlike-exec-init"

// File descriptors the driver passes to the init.
const (
	// SpecFD carries the JSON initSpec; the driver writes it only after
	// the init is in the task's cgroup, so reading it is the start signal.
	SpecFD = 3
	// ErrFD is close-on-exec in the init: EOF means execve succeeded,
	// bytes are the reason the init failed.
	ErrFD = 4
)

// FailedCode is the init's exit code when it fails before execve.
const FailedCode = 127

// Spec is everything the init needs to turn itself into the task.
type Spec struct {
	// Root is the host directory that becomes "/" (the task directory).
	Root string `json:"root"`
	// Binds are bind mounts into Root, mounted in order.
	Binds []BindMount `json:"binds"`
	// HostIPC bind-mounts the host's /dev/shm instead of a private tmpfs.
	HostIPC bool `json:"host_ipc"`
	// Hostname is set in the task's UTS namespace.
	Hostname string `json:"hostname"`
	// NetNS is a network namespace (a bind-mounted nsfs file) the task
	// joins; empty keeps the host's network.
	NetNS string `json:"netns,omitempty"`
	// NoPivotRoot uses chroot(2) instead of pivot_root(2).
	NoPivotRoot bool `json:"no_pivot_root"`

	UID    int   `json:"uid"`
	GID    int   `json:"gid"`
	Groups []int `json:"groups"`
	// Caps is the bounding set, and the permitted and effective set of a
	// root task.
	Caps uint64 `json:"caps"`
	// Ambient caps are raised for a non-root task.
	Ambient uint64 `json:"ambient"`
	// LastCap is the highest capability number of the kernel (LastCap());
	// 0 makes the init read it.
	LastCap int `json:"last_cap,omitempty"`

	// Command is the program (a path in the chroot, or a name looked up in
	// PATH); Args are argv[1:]; Env is the complete environment.
	Command string   `json:"command"`
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	// Dir is the working directory in the chroot.
	Dir string `json:"dir"`
}

// BindMount is one bind mount of a host path into the chroot.
type BindMount struct {
	// Source is a host path; symlinks in it are followed.
	Source string `json:"source"`
	// Target is an absolute, clean path in the chroot. No component may be
	// a symlink: the init refuses to follow one.
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only"`
	NoExec   bool   `json:"no_exec"`
	// Every bind is nosuid and nodev.
}
