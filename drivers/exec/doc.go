// Package exec is the "exec" task driver: it runs a command isolated on the
// host with Linux primitives only, in the manner of Nomad's exec driver.
//
// Each task gets private PID, IPC, mount and UTS namespaces, a chroot built
// from the task directory and the agent's chroot_env (bind mounts, read-only),
// a fresh /proc and a minimal /dev, a reduced capability set and a cgroup
// (v1 or v2, whichever hierarchy has the memory controller) that enforces the
// task's memory and CPU shares.
//
// There is no helper process per task. The driver re-executes its own binary
// (/proc/self/exe) with a marker in argv[0] and the namespace clone flags; the
// init hook of this package, run from a package init function, recognises the
// marker, waits until the driver has placed it in the task's cgroup, builds
// the chroot, drops privileges and execve()s the task command. The task thus
// keeps the PID the driver started, is PID 1 of its namespace, and is the
// process the driver waits for and recovers after a restart. Importing the
// package is enough for the hook to run.
package exec
