// Package proc supervises a task's processes for the drivers that run host
// processes (raw_exec, exec): start a command in its own process group, wait
// for it when it is the driver's child, watch it when it is not (after a
// driver restart, through a pidfd), stop it with a signal and a timeout and
// then SIGKILL of the whole group, and sample its resource use from /proc;
// and run an interactive exec command wired to a pty or pipes (Interactive).
package proc
