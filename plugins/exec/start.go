package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/drivers/logging"
	"github.com/nomadlike/nomadlike/plugins/exec/execinit"
)

// ErrStartFailed wraps the reason the task's init failed before execve.
var ErrStartFailed = errors.New("task failed to start")

// initTimeout bounds how long the init may take to build the chroot and
// execve the task.
const initTimeout = 30 * time.Second

// handleVersion is the version of the DriverState layout.
const handleVersion = 1

// driverState is the exec driver's part of a TaskHandle.
type driverState struct {
	Pid           int       `json:"Pid"`
	StartTime     uint64    `json:"StartTime"` // clock ticks since boot, from /proc/PID/stat
	StartedAt     time.Time `json:"StartedAt"`
	CgroupVersion int       `json:"CgroupVersion"`
	CgroupMount   string    `json:"CgroupMount"`
	CgroupPath    string    `json:"CgroupPath"`
	// PIDMode is the task's pid_mode ("private" or "host").
	PIDMode string `json:"PIDMode"`
}

// StartTask starts the task in its namespaces, chroot and cgroup.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, fmt.Errorf("%w: task config: ID: required", ErrInvalidConfig)
	}
	ps := d.pluginSettings()
	ts, err := parseTaskConfig(cfg.Config, ps)
	if err != nil {
		return nil, err
	}
	h, err := d.hierarchy()
	if err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.ID, err)
	}
	cred, err := lookupUser(cfg.User)
	if err != nil {
		return nil, err
	}
	if err := checkUserAllowed(cred, ps); err != nil {
		return nil, err
	}
	binds, err := taskBinds(cfg, ps, cred)
	if err != nil {
		return nil, err
	}
	vols, err := volumeBinds(cfg.Mounts) // host volumes (volumes.go)
	if err != nil {
		return nil, err
	}
	binds = append(binds, vols...)
	netns, hostname, netBinds, err := networkSetup(cfg, ps)
	if err != nil {
		return nil, err
	}
	binds = append(binds, netBinds...)

	d.mu.Lock()
	if _, ok := d.tasks[cfg.ID]; ok {
		d.mu.Unlock()
		return nil, fmt.Errorf("start task %s: already started", cfg.ID)
	}
	// Reserve the ID while starting.
	d.tasks[cfg.ID] = nil
	d.mu.Unlock()
	started := false
	defer func() {
		if !started {
			d.mu.Lock()
			delete(d.tasks, cfg.ID)
			d.mu.Unlock()
		}
	}()

	spec := &initSpec{
		Root:        cfg.TaskDir.Dir,
		Binds:       binds,
		HostIPC:     ts.ipcMode == modeHost,
		Hostname:    hostname,
		NetNS:       netns,
		NoPivotRoot: ps.noPivotRoot,
		UID:         cred.uid,
		GID:         cred.gid,
		Groups:      cred.groups,
		Caps:        uint64(ts.caps),
		Ambient:     uint64(ts.ambient),
		Command:     ts.command,
		Args:        ts.args,
		Env:         taskEnv(cfg.Env),
		Dir:         "/",
	}
	flags := uintptr(syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS)
	if ts.pidMode == modePrivate {
		flags |= syscall.CLONE_NEWPID
	}
	if ts.ipcMode == modePrivate {
		flags |= syscall.CLONE_NEWIPC
	}

	limits := limitsFor(cfg.Resources.MemoryMB, cfg.Resources.MemoryMaxMB, cfg.Resources.CPUShares)
	limits.pidsMax = ts.pidsLimit
	cg, err := newTaskCgroup(h, cgroupRel(ps.cgroupParent, cfg.ID), limits)
	if err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.ID, err)
	}
	logs, err := logging.Open(cfg.Logs, cfg.Name)
	if err != nil {
		_ = cg.Delete()
		return nil, fmt.Errorf("start task %s: %w", cfg.ID, err)
	}
	spec.LastCap = lastCap()
	d.startSem <- struct{}{}
	proc, err := d.startProcess(spec, logs.Stdout, logs.Stderr, cg, flags)
	<-d.startSem
	logs.CloseChildEnds()
	if err != nil {
		_ = logs.Close()
		_ = cg.Delete()
		return nil, fmt.Errorf("start task %s: %w", cfg.ID, err)
	}
	startTime, err := procStartTime(proc.Pid)
	if err != nil {
		// The task exited at once; its start time is lost but it is still
		// our child, so the waiter reports how it ended.
		d.logger.Debug("task exited before its start time was read", "task_id", cfg.ID, "error", err)
	}

	st := driverState{
		Pid:           proc.Pid,
		StartTime:     startTime,
		StartedAt:     time.Now().UTC(),
		CgroupVersion: h.version,
		CgroupMount:   h.mount,
		CgroupPath:    cg.Path(),
		PIDMode:       ts.pidMode,
	}
	t := newTask(cfg, st, cg, logs, d.logger)
	// The child is known before StartTask returns: a stop or signal that
	// comes before waitChild's goroutine runs must reach the process, not
	// be taken for a recovered task that is already gone.
	t.child = proc
	go t.waitChild(proc)

	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("start task %s: encode handle: %w", cfg.ID, err)
	}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	started = true
	d.logger.Info("task started", "task_id", cfg.ID, "pid", proc.Pid, "user", cred.name, "cgroup", cg.Path())
	return &drivers.TaskHandle{
		Version:     handleVersion,
		Config:      cfg,
		State:       drivers.TaskStateRunning,
		DriverState: raw,
	}, nil
}

// startProcess starts the task from a driver thread where the host allows
// it (threadstart.go), else through the re-executed init.
func (d *Driver) startProcess(spec *initSpec, stdout, stderr *os.File, cg taskCgroup, cloneflags uintptr) (*os.Process, error) {
	privatePID := cloneflags&syscall.CLONE_NEWPID != 0
	if !d.noThreadStart.Load() && canStartInProcess(privatePID) {
		proc, err := startOnThread(spec, stdout, stderr, cg, privatePID)
		if !errors.Is(err, errNoThreadStart) {
			return proc, err
		}
		d.logger.Warn("starting tasks through the init process", "reason", err)
		d.noThreadStart.Store(true)
	}
	return startInit(spec, stdout, stderr, cg, cloneflags)
}

var (
	lastCapOnce sync.Once
	lastCapNum  int
)

// lastCap is execinit.LastCap, read once.
func lastCap() int {
	lastCapOnce.Do(func() { lastCapNum = execinit.LastCap() })
	return lastCapNum
}

// startInit starts the init (this binary with the init marker) in new
// namespaces, puts it in the cgroup, hands it the spec and waits until it
// has exec'd the task (or failed). The returned process is the task.
func startInit(spec *initSpec, stdout, stderr *os.File, cg taskCgroup, cloneflags uintptr) (*os.Process, error) {
	payload, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode init spec: %w", err)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer specW.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		specR.Close()
		return nil, err
	}
	defer errR.Close()

	proc, err := os.StartProcess("/proc/self/exe", []string{initArgv0}, &os.ProcAttr{
		Dir:   "/",
		Env:   []string{},
		Files: []*os.File{devnull, stdout, stderr, specR, errW},
		Sys: &syscall.SysProcAttr{
			Cloneflags: cloneflags,
			Setsid:     true,
		},
	})
	specR.Close()
	errW.Close()
	if err != nil {
		return nil, fmt.Errorf("start init: %w", err)
	}
	abort := func(cause error) (*os.Process, error) {
		_ = proc.Kill()
		_, _ = proc.Wait()
		return nil, cause
	}
	if err := cg.AddProc(proc.Pid); err != nil {
		return abort(err)
	}
	// The spec is the start signal; a failed write means the init died, and
	// the error pipe says why.
	_, werr := specW.Write(payload)
	specW.Close()

	_ = errR.SetReadDeadline(time.Now().Add(initTimeout))
	msg, rerr := io.ReadAll(errR)
	switch {
	case len(msg) > 0:
		_, _ = proc.Wait()
		return nil, fmt.Errorf("%w: %s", ErrStartFailed, msg)
	case rerr != nil:
		return abort(fmt.Errorf("%w: init did not exec the task within %s: %w", ErrStartFailed, initTimeout, rerr))
	case werr != nil:
		return abort(fmt.Errorf("%w: send init spec: %w", ErrStartFailed, werr))
	}
	return proc, nil
}
