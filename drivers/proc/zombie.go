package proc

import (
	"os"
	"strconv"
	"syscall"

	"github.com/nomadlike/nomadlike/drivers"
)

// A task process outlives the driver plugin that started it when the plugin
// dies. Its exit status can then be read only by its new parent, and the new
// plugin is not that. The client agent therefore makes itself a child
// subreaper (PR_SET_CHILD_SUBREAPER): a dead plugin's task processes become
// the agent's children, and when one exits it stays a zombie, with its
// wait(2) status in /proc/<pid>/stat, until the agent reaps it a while later
// (ReapOrphans). The relaunched plugin reads the real exit status there
// (ZombieExit). Without a subreaper the orphan's status is lost and the
// result is UnknownExitErr, as before.

// ZombieExit returns how process pid ended when it has exited and is not
// reaped yet, and it is the process started at startTime (0 skips the check).
func ZombieExit(pid int, startTime uint64) (*drivers.ExitResult, bool) {
	if pid <= 0 {
		return nil, false
	}
	st, err := readStat(pid)
	if err != nil || st.state != 'Z' || st.exitCode < 0 {
		return nil, false
	}
	if startTime != 0 && st.startTime != startTime {
		return nil, false
	}
	return waitStatusResult(syscall.WaitStatus(st.exitCode)), true
}

// waitStatusResult converts a wait(2) status; a signal death is exit code
// 128+sig, as for a child the driver waits for itself.
func waitStatusResult(ws syscall.WaitStatus) *drivers.ExitResult {
	if ws.Signaled() {
		sig := int(ws.Signal())
		return &drivers.ExitResult{ExitCode: 128 + sig, Signal: sig}
	}
	return &drivers.ExitResult{ExitCode: ws.ExitStatus()}
}

// ZombieChildren lists the zombie children of process ppid.
func ZombieChildren(ppid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.ppid != ppid || st.state != 'Z' {
			continue
		}
		out = append(out, pid)
	}
	return out
}
