package exec

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrProcessGone is returned when a recovered task's process no longer exists
// (or its PID now belongs to another process).
var ErrProcessGone = errors.New("task process is gone")

// procStartTime returns a process's start time in clock ticks since boot
// (field 22 of /proc/PID/stat). With the PID it identifies the process: a
// reused PID has another start time.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("pid %d: %w", pid, ErrProcessGone)
		}
		return 0, fmt.Errorf("read stat of pid %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse stat of pid %d: no command name", pid)
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); start time is field 22.
	const startField = 22 - 3
	if len(fields) <= startField {
		return 0, fmt.Errorf("parse stat of pid %d: %d fields", pid, len(fields)+2)
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return 0, fmt.Errorf("pid %d is a zombie: %w", pid, ErrProcessGone)
	}
	v, err := strconv.ParseUint(fields[startField], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse start time of pid %d: %w", pid, err)
	}
	return v, nil
}

// openPidfd opens a pidfd for pid and checks that the process is still the
// one that started at startTime, so a reused PID is never signalled.
func openPidfd(pid int, startTime uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return -1, fmt.Errorf("pid %d: %w", pid, ErrProcessGone)
		}
		return -1, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	st, err := procStartTime(pid)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st != startTime {
		unix.Close(fd)
		return -1, fmt.Errorf("pid %d was reused (start time %d, want %d): %w", pid, st, startTime, ErrProcessGone)
	}
	return fd, nil
}

// waitPidfd blocks until the process behind pidfd exits or stop is readable.
// It reports whether the process exited.
func waitPidfd(pidfd int, stop *os.File) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	if stop != nil {
		fds = append(fds, unix.PollFd{Fd: int32(stop.Fd()), Events: unix.POLLIN})
	}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll pidfd: %w", err)
		}
		if fds[0].Revents != 0 {
			return true, nil
		}
		if len(fds) > 1 && fds[1].Revents != 0 {
			return false, nil
		}
	}
}
