package containerd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/nomadlike/nomadlike/drivers"
)

// handleVersion is the version of driverState.
const handleVersion = 1

// driverState is what the client persists to recover a task.
type driverState struct {
	ContainerID string    `json:"ContainerID"`
	Image       string    `json:"Image"`
	PID         uint32    `json:"PID"`
	StartedAt   time.Time `json:"StartedAt"`
}

// taskHandle is one running (or finished) task.
type taskHandle struct {
	cfg         *drivers.TaskConfig
	containerID string
	container   containerd.Container
	task        containerd.Task
	pid         uint32
	startedAt   time.Time
	logs        *taskLogs

	doneCh chan struct{} // closed when the task exited and exit is set
	mu     sync.Mutex
	exit   *drivers.ExitResult
	ended  time.Time
}

func (h *taskHandle) result() (*drivers.ExitResult, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.exit, h.ended
}

func (h *taskHandle) running() bool {
	select {
	case <-h.doneCh:
		return false
	default:
		return true
	}
}

var (
	unsafeIDChars = regexp.MustCompile(`[^A-Za-z0-9_.-]`)
	idSeparators  = regexp.MustCompile(`[_.-]{2,}`)
)

// containerID derives a containerd ID from the task ID ("alloc/task/suffix"):
// containerd wants alphanumeric runs joined by single separators.
func containerID(taskID string) string {
	id := unsafeIDChars.ReplaceAllString(taskID, "-")
	id = idSeparators.ReplaceAllString(id, "-")
	if len(id) > 76 {
		id = id[len(id)-76:]
	}
	return strings.Trim(id, "-._")
}

// StartTask imports or finds the image, creates the container and starts it.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	pc := d.config()
	if !pc.enabled() {
		return nil, errors.New(`containerd driver is disabled: set plugin "containerd" { config { enabled = true } }`)
	}
	tc, err := ParseTaskConfig(cfg.Config, pc)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if _, ok := d.tasks[cfg.ID]; ok {
		d.mu.Unlock()
		return nil, fmt.Errorf("task %q is already started", cfg.ID)
	}
	d.mu.Unlock()

	c, ctx, err := d.connect(context.Background())
	if err != nil {
		return nil, err
	}
	img, err := d.ensureImage(ctx, c, tc, cfg)
	if err != nil {
		return nil, err
	}
	id := containerID(cfg.ID)
	hostsFile, err := writeHostsFile(cfg.TaskDir.Dir, tc.Hostname, tc.ExtraHosts)
	if err != nil {
		return nil, err
	}
	// runc has its own mounts of the staged bind sources once the task is
	// created.
	stage := newBindStage(d.stageDir(id))
	defer stage.release()
	opts, err := specOpts(cfg, tc, pc.policy(), img, hostsFile, stage)
	if err != nil {
		return nil, err
	}
	// A container left behind by a crash before the handle was saved would
	// block the ID: remove it.
	if old, err := c.LoadContainer(ctx, id); err == nil {
		d.logger.Warn("removing stale container", "container_id", id)
		if t, err := old.Task(ctx, nil); err == nil {
			t.Delete(ctx, containerd.WithProcessKill)
		}
		old.Delete(ctx, containerd.WithSnapshotCleanup)
	}
	ctr, err := c.NewContainer(ctx, id,
		containerd.WithImage(img),
		containerd.WithSnapshotter(pc.Snapshotter),
		containerd.WithNewSnapshot(id+"-rootfs", img),
		containerd.WithNewSpec(opts...),
		containerd.WithContainerLabels(map[string]string{
			"nomadlike.alloc_id": cfg.AllocID,
			"nomadlike.task":     cfg.Name,
			"nomadlike.job":      cfg.JobName,
		}))
	if err != nil {
		return nil, fmt.Errorf("create container: %w", err)
	}
	logs, err := openTaskLogs(cfg)
	if err != nil {
		ctr.Delete(ctx, containerd.WithSnapshotCleanup)
		return nil, err
	}
	fifoDir := d.fifoDir(id)
	task, err := ctr.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, logs.stdout, logs.stderr), cio.WithFIFODir(fifoDir)))
	if err != nil {
		logs.Close()
		ctr.Delete(ctx, containerd.WithSnapshotCleanup)
		return nil, fmt.Errorf("create task: %w", err)
	}
	h := &taskHandle{cfg: cfg, containerID: id, container: ctr, task: task, pid: task.Pid(), logs: logs, doneCh: make(chan struct{})}
	exitCh, err := task.Wait(ctx)
	if err != nil {
		task.Delete(ctx, containerd.WithProcessKill)
		logs.Close()
		ctr.Delete(ctx, containerd.WithSnapshotCleanup)
		return nil, fmt.Errorf("wait task: %w", err)
	}
	if err := task.Start(ctx); err != nil {
		task.Delete(ctx, containerd.WithProcessKill)
		logs.Close()
		ctr.Delete(ctx, containerd.WithSnapshotCleanup)
		return nil, fmt.Errorf("start task: %w", err)
	}
	h.startedAt = time.Now()
	go d.awaitExit(h, exitCh)

	d.mu.Lock()
	d.tasks[cfg.ID] = h
	d.mu.Unlock()

	state, _ := json.Marshal(driverState{ContainerID: id, Image: tc.Image, PID: h.pid, StartedAt: h.startedAt})
	return &drivers.TaskHandle{Version: handleVersion, Config: cfg, State: drivers.TaskStateRunning, DriverState: state}, nil
}

func (d *Driver) fifoDir(containerID string) string {
	return filepath.Join(d.baseDir(), "fifo", containerID)
}

// stageDir is where the relative bind sources of a container being created
// are staged (see bindStage).
func (d *Driver) stageDir(containerID string) string {
	return filepath.Join(d.baseDir(), "stage", containerID)
}

// baseDir is the plugin's data dir. Without one (a driver used outside an
// agent), it is a private directory made once with a random name: a fixed
// path under the world-writable temp dir could be created first, or
// replaced by a link, by any local user.
func (d *Driver) baseDir() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dataDir == "" {
		dir, err := os.MkdirTemp("", "nomadlike-containerd-")
		if err != nil {
			// A path only root could create (its parent is /): FIFO
			// and stage creation below it then fail with a clear error.
			return "/nonexistent-nomadlike-containerd"
		}
		d.dataDir = dir
	}
	return d.dataDir
}

// awaitExit records the task's exit when containerd reports it.
func (d *Driver) awaitExit(h *taskHandle, exitCh <-chan containerd.ExitStatus) {
	st := <-exitCh
	res := &drivers.ExitResult{}
	code, _, err := st.Result()
	if err != nil {
		res.Err = err.Error()
	} else if code > 128 && code < 128+65 {
		// runc reports a signalled init as 128+signal.
		res.Signal = int(code) - 128
		res.ExitCode = int(code)
	} else {
		res.ExitCode = int(code)
	}
	if res.Signal == int(syscall.SIGKILL) && d.oomKilled(h) {
		res.OOMKilled = true
	}
	// Let the log copiers drain what the container wrote before it ended.
	if tio := h.task.IO(); tio != nil {
		drained := make(chan struct{})
		go func() { tio.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(2 * time.Second):
		}
	}
	h.mu.Lock()
	h.exit = res
	h.ended = time.Now()
	h.mu.Unlock()
	close(h.doneCh)
}

// oomKilled reports whether the container was killed by the OOM killer,
// from containerd's OOM event or, when that has not arrived yet, from the
// container's memory cgroup.
func (d *Driver) oomKilled(h *taskHandle) bool {
	deadline := time.Now().Add(time.Second)
	for {
		if d.wasOOMKilled(h.containerID) || cgroupOOMKilled(d.config().Namespace, h.containerID) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cgroupOOMKilled reads the OOM kill counter of the container's memory cgroup
// (v1 memory.oom_control, v2 memory.events).
func cgroupOOMKilled(ns, id string) bool {
	for _, p := range []string{
		filepath.Join("/sys/fs/cgroup/memory", ns, id, "memory.oom_control"),
		filepath.Join("/sys/fs/cgroup", ns, id, "memory.events"),
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == "oom_kill" && f[1] != "0" {
				return true
			}
		}
	}
	return false
}

// WaitTask blocks until the task exits or ctx is done.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (*drivers.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	select {
	case <-h.doneCh:
		res, _ := h.result()
		return res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StopTask sends the signal, then kills every process of the container
// after timeout.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if !h.running() {
		return nil
	}
	if signal == "" {
		signal = h.cfg.KillSignal
	}
	sig, err := parseSignal(signal, syscall.SIGINT)
	if err != nil {
		return err
	}
	_, ctx, err := d.connect(context.Background())
	if err != nil {
		return err
	}
	if !catchesSignal(h.pid, sig) {
		// The container's init is PID 1 of its namespace: the kernel drops
		// every signal it has no handler for, so waiting kill_timeout would
		// only delay the SIGKILL that must follow.
		d.logger.Debug("init does not handle the stop signal, killing", "task_id", taskID, "signal", sig)
		timeout = 0
	} else if err := h.task.Kill(ctx, sig); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("signal task: %w", err)
	}
	select {
	case <-h.doneCh:
		return nil
	case <-time.After(timeout):
	}
	if err := h.task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("kill task: %w", err)
	}
	select {
	case <-h.doneCh:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("task %s did not exit 30s after SIGKILL", taskID)
	}
}

// DestroyTask deletes the task, its container and snapshot.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if h.running() && !force {
		return fmt.Errorf("task %s is still running: stop it first or destroy with force", taskID)
	}
	_, ctx, err := d.connect(context.Background())
	if err != nil {
		return err
	}
	if h.running() {
		h.task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll)
		select {
		case <-h.doneCh:
		case <-time.After(30 * time.Second):
		}
	}
	if _, err := h.task.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete task: %w", err)
	}
	if err := h.container.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("delete container: %w", err)
	}
	if h.logs != nil {
		h.logs.Close()
	}
	os.RemoveAll(d.fifoDir(h.containerID))
	d.mu.Lock()
	delete(d.tasks, taskID)
	delete(d.oomed, h.containerID)
	d.mu.Unlock()
	return nil
}

// InspectTask returns the task's status.
func (d *Driver) InspectTask(taskID string) (*drivers.TaskStatus, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	st := &drivers.TaskStatus{
		ID:        taskID,
		Name:      h.cfg.Name,
		State:     drivers.TaskStateRunning,
		StartedAt: h.startedAt,
		DriverAttributes: map[string]string{
			"container_id": h.containerID,
			"pid":          fmt.Sprint(h.pid),
		},
	}
	if res, ended := h.result(); res != nil {
		st.State = drivers.TaskStateExited
		st.ExitResult = res
		st.CompletedAt = ended
	}
	return st, nil
}

// RecoverTask reattaches to a container started by an earlier driver process.
func (d *Driver) RecoverTask(handle *drivers.TaskHandle) error {
	if handle == nil || handle.Config == nil {
		return errors.New("recover task: handle has no task config")
	}
	var ds driverState
	if err := json.Unmarshal(handle.DriverState, &ds); err != nil {
		return fmt.Errorf("recover task %s: decode driver state: %w", handle.Config.ID, err)
	}
	d.mu.Lock()
	_, known := d.tasks[handle.Config.ID]
	d.mu.Unlock()
	if known {
		return nil
	}
	c, ctx, err := d.connect(context.Background())
	if err != nil {
		return err
	}
	ctr, err := c.LoadContainer(ctx, ds.ContainerID)
	if err != nil {
		return fmt.Errorf("recover task %s: load container %s: %w", handle.Config.ID, ds.ContainerID, err)
	}
	logs, err := openTaskLogs(handle.Config)
	if err != nil {
		return err
	}
	task, err := ctr.Task(ctx, cio.NewAttach(cio.WithStreams(nil, logs.stdout, logs.stderr)))
	if err != nil {
		logs.Close()
		return fmt.Errorf("recover task %s: attach: %w", handle.Config.ID, err)
	}
	exitCh, err := task.Wait(ctx)
	if err != nil {
		logs.Close()
		return fmt.Errorf("recover task %s: wait: %w", handle.Config.ID, err)
	}
	h := &taskHandle{
		cfg: handle.Config, containerID: ds.ContainerID, container: ctr, task: task,
		pid: task.Pid(), startedAt: ds.StartedAt, logs: logs, doneCh: make(chan struct{}),
	}
	go d.awaitExit(h, exitCh)
	d.mu.Lock()
	d.tasks[handle.Config.ID] = h
	d.mu.Unlock()
	return nil
}

// SignalTask delivers a signal to the task's init process.
func (d *Driver) SignalTask(taskID string, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	sig, err := parseSignal(signal, 0)
	if err != nil {
		return err
	}
	_, ctx, err := d.connect(context.Background())
	if err != nil {
		return err
	}
	return h.task.Kill(ctx, sig)
}

// ExecTask runs a command inside the task's container and returns its
// output (the one-shot form of ExecTaskStreaming); a timeout of zero
// means one minute.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	if timeout <= 0 {
		timeout = time.Minute
	}
	return drivers.ExecBuffered(context.Background(), d, taskID, cmd, timeout)
}

// catchesSignal reports whether process pid has a handler for sig, from the
// SigCgt mask of /proc/PID/status. When the mask cannot be read it answers
// true, so the signal is sent as usual.
func catchesSignal(pid uint32, sig syscall.Signal) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(b), "\n") {
		if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			var mask uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(hex), "%x", &mask); err != nil {
				return true
			}
			return mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return true
}

func parseSignal(name string, def syscall.Signal) (syscall.Signal, error) {
	if name == "" {
		if def == 0 {
			return 0, errors.New("no signal given")
		}
		return def, nil
	}
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	sig := unix.SignalNum(n)
	if sig == 0 {
		return 0, fmt.Errorf("unknown signal %q", name)
	}
	return sig, nil
}
