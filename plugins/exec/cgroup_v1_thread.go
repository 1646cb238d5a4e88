package exec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroup v1 has no CLONE_INTO_CGROUP: the in-process start puts its start
// thread (one thread: the controllers' "tasks" files, never cgroup.procs,
// which would move the whole plugin) in the task's cgroups before it forks,
// so the task is born in them, as on v2.
//
// The thread moves back to the plugin's own cgroups while the task is still
// stopped after its execve. It is locked and never unlocked (onOwnThread),
// so Go ends it with its goroutine, but that happens after the task runs:
// a thread still in the task's cgroups would be in their cgroup.procs under
// the plugin's PID (Kill would SIGKILL the plugin, a frozen task cgroup
// would freeze the thread, Delete would fail with EBUSY).
//
// The pids controller counts the thread while it is in: a pids.max of N
// would leave the task N-1. While the thread is in, pids.max is N+1, and N
// again once the thread is out, before the task runs.

// v1ThreadJoin holds the files a start thread needs to join a task's v1
// cgroups and leave them. They are opened before the thread enters the
// task's root (it no longer sees /sys then).
type v1ThreadJoin struct {
	tasks []*os.File // each controller's "tasks" file of the task cgroup
	home  []*os.File // the same controllers' "tasks" of the plugin's cgroup
	// pidsMax is the task's pids.max (nil without a pids limit) and limit
	// its value.
	pidsMax *os.File
	limit   int64
}

// threadJoin opens the files the start thread writes its TID to.
func (c *v1Cgroup) threadJoin() (j *v1ThreadJoin, err error) {
	j = &v1ThreadJoin{}
	defer func() {
		if err != nil {
			j.close()
		}
	}()
	own, err := ownV1Cgroups()
	if err != nil {
		return nil, err
	}
	for i, dir := range c.dirs {
		f, err := os.OpenFile(filepath.Join(dir, "tasks"), os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("cgroup %s: %w", c.rel, err)
		}
		j.tasks = append(j.tasks, f)
		home, ok := own[c.names[i]]
		if !ok {
			return nil, fmt.Errorf("%w: no %s line in /proc/thread-self/cgroup", ErrNoCgroup, c.names[i])
		}
		root := strings.TrimSuffix(dir, c.rel)
		if f, err = os.OpenFile(filepath.Join(root, home, "tasks"), os.O_WRONLY, 0); err != nil {
			return nil, fmt.Errorf("the plugin's %s cgroup: %w", c.names[i], err)
		}
		j.home = append(j.home, f)
	}
	if c.pids == "" {
		return j, nil
	}
	b, err := os.ReadFile(filepath.Join(c.pids, "pids.max"))
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", c.rel, err)
	}
	if v := string(bytes.TrimSpace(b)); v != "max" {
		if j.limit, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("cgroup %s: pids.max %q: %w", c.rel, v, err)
		}
		if j.pidsMax, err = os.OpenFile(filepath.Join(c.pids, "pids.max"), os.O_WRONLY, 0); err != nil {
			return nil, fmt.Errorf("cgroup %s: %w", c.rel, err)
		}
	}
	return j, nil
}

// ownV1Cgroups maps each v1 controller to the calling thread's cgroup in
// its hierarchy (read once per start: the plugin may be moved).
func ownV1Cgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, nil
}

// enter moves the calling thread into the task's cgroups, with room for it
// in pids.max.
func (j *v1ThreadJoin) enter() error {
	if j.pidsMax != nil {
		if err := writeInt(j.pidsMax, j.limit+1); err != nil {
			return fmt.Errorf("raise pids.max for the start thread: %w", err)
		}
	}
	tid := int64(unix.Gettid())
	for _, f := range j.tasks {
		if err := writeInt(f, tid); err != nil {
			return fmt.Errorf("move the start thread to %s: %w", f.Name(), err)
		}
	}
	return nil
}

// leave moves the calling thread back to the plugin's cgroups and restores
// the task's pids.max.
func (j *v1ThreadJoin) leave() error {
	var errs []error
	tid := int64(unix.Gettid())
	for _, f := range j.home {
		if err := writeInt(f, tid); err != nil {
			errs = append(errs, fmt.Errorf("move the start thread back to %s: %w", f.Name(), err))
		}
	}
	if j.pidsMax != nil {
		if err := writeInt(j.pidsMax, j.limit); err != nil {
			errs = append(errs, fmt.Errorf("restore pids.max: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (j *v1ThreadJoin) close() {
	for _, f := range append(j.tasks, j.home...) {
		f.Close()
	}
	if j.pidsMax != nil {
		j.pidsMax.Close()
	}
}

// writeInt writes n to a cgroup file in one write.
func writeInt(f *os.File, n int64) error {
	_, err := f.Write([]byte(strconv.FormatInt(n, 10)))
	return err
}
