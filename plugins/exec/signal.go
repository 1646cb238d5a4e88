package exec

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A task with a private PID namespace is its namespace's PID 1, and the
// kernel discards any signal PID 1 has no handler for, even one sent from the
// host (SIGKILL and SIGSTOP aside). A task that relies on SIGTERM's or
// SIGINT's default action would then only die when the kill timeout runs
// out. The driver applies the default action itself instead: when the
// signal's default is to terminate and the task neither handles nor ignores
// it, the task's processes are killed at once and the task is reported as
// killed by that signal, as it would have been outside a PID namespace.

// terminatingSignals are the signals whose default action terminates the
// process (with or without a core dump).
var terminatingSignals = map[syscall.Signal]bool{
	unix.SIGHUP: true, unix.SIGINT: true, unix.SIGQUIT: true, unix.SIGILL: true, unix.SIGTRAP: true,
	unix.SIGABRT: true, unix.SIGBUS: true, unix.SIGFPE: true, unix.SIGUSR1: true, unix.SIGSEGV: true,
	unix.SIGUSR2: true, unix.SIGPIPE: true, unix.SIGALRM: true, unix.SIGTERM: true, unix.SIGSTKFLT: true,
	unix.SIGXCPU: true, unix.SIGXFSZ: true, unix.SIGVTALRM: true, unix.SIGPROF: true, unix.SIGIO: true,
	unix.SIGPWR: true, unix.SIGSYS: true,
}

// signalDisposition reads whether pid catches or ignores sig, from the
// SigCgt and SigIgn masks of /proc/PID/status.
func signalDisposition(pid int, sig syscall.Signal) (caught, ignored bool, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false, false, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	bit := uint64(1) << (uint(sig) - 1)
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "SigCgt" && key != "SigIgn") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err != nil {
			return false, false, fmt.Errorf("parse %s of pid %d: %w", key, pid, err)
		}
		if key == "SigCgt" {
			caught = mask&bit != 0
		} else {
			ignored = mask&bit != 0
		}
	}
	return caught, ignored, nil
}

// deliver sends sig to the task, applying the default action itself when the
// task is PID 1 of its namespace and would otherwise never see the signal.
func (t *task) deliver(sig syscall.Signal) error {
	if t.state.PIDMode == modeHost || !terminatingSignals[sig] || t.exited() {
		return t.signal(sig)
	}
	caught, ignored, err := signalDisposition(t.state.Pid, sig)
	if err != nil || caught || ignored {
		return t.signal(sig)
	}
	t.logger.Debug("task is its PID namespace's init without a handler; applying the signal's default action", "signal", sig)
	t.mu.Lock()
	t.emulated = sig
	t.mu.Unlock()
	return t.kill()
}
