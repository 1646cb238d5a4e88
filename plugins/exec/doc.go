// Package exec is the "exec" task driver: it runs a command isolated on the
// host with Linux primitives only, in the manner of Nomad's exec driver.
//
// Each task gets private PID, IPC, mount and UTS namespaces, a chroot built
// from the task directory and the agent's chroot_env (bind mounts, read-only),
// a fresh /proc and a minimal read-only /dev, every mount nosuid and all but
// /dev nodev, no_new_privs, a reduced capability set and a cgroup (v1 or v2,
// whichever hierarchy has the memory controller) that enforces the task's
// memory, CPU shares, pids limit and device allow-list. Tasks may not run as
// a uid or with a gid in the plugin's denied_host_uids/denied_host_gids
// (root by default).
//
// There is no helper process per task. On Linux 6.18+ (procfs "pidns"
// option) the driver builds the task's namespaces and chroot on one of its
// own OS threads, forks the task from it into its cgroup (CLONE_INTO_CGROUP
// on v2; on v1 the thread joins the task's cgroups first) stopped after
// execve (ptrace), mounts its /proc and lets it run (threadstart.go, execinit/thread.go). Elsewhere it re-executes
// its own binary (/proc/self/exe) with a marker in argv[0] and the namespace
// clone flags; the init hook of execinit, run from a package init function,
// recognises the marker, waits until the driver has placed it in the task's
// cgroup, builds the chroot, drops privileges and execve()s the task
// command. Either way the task keeps the PID the driver started, is PID 1
// of its namespace, and is the process the driver waits for and recovers
// after a restart. Importing the package is enough for the hook to run.
package exec
