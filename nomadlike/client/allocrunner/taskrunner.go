package allocrunner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
)

// Sentinel errors of the task runner's user-facing operations.
var (
	ErrTaskNotRunning = errors.New("task is not running")
	ErrUnknownTask    = errors.New("unknown task")
)

// DriverGetter returns a driver by name; drivermanager.Manager satisfies it.
type DriverGetter interface {
	Driver(name string) (drivers.Driver, error)
}

// NodeGetter returns the node the client runs as, for interpolation.
type NodeGetter func() *nomadlike.Node

type waitOutcome int

const (
	outcomeExited waitOutcome = iota
	outcomeKilled
	outcomeRestart
	outcomeShutdown
)

// TaskRunner runs one task of an allocation. Its Run goroutine owns the
// task's lifecycle; the other methods are safe to call from any goroutine.
type TaskRunner struct {
	allocID  string
	name     string
	ad       *allocdir.AllocDir
	drivers  DriverGetter
	db       localstate.DB
	node     NodeGetter
	hooks    []TaskPrestartHook
	logger   hclog.Logger
	onUpdate func()
	// network returns the allocation's namespace (network.go); nil in host mode.
	network func() (*drivers.NetworkIsolation, *nomadlike.AllocNetworkStatus)

	mu       sync.Mutex
	alloc    *nomadlike.Allocation
	task     *nomadlike.Task
	state    *nomadlike.TaskState
	local    *localstate.TaskRunnerState
	driver   drivers.Driver
	started  bool
	killNote string
	// killFails marks a kill whose cause fails the task (a template's
	// change_script with fail_on_error).
	killFails bool
	// restartNote is the reason of the pending restart request.
	restartNote string

	restarts *restartTracker // Run goroutine only
	// eventsStop ends the driver events subscription (driverevents.go);
	// Run goroutine only.
	eventsStop func()
	// reconnectPolicy bounds the wait for a dead driver plugin.
	reconnectPolicy reconnectPolicy

	killCtx        context.Context
	killCancel     context.CancelFunc
	shutdownCtx    context.Context
	shutdownCancel context.CancelFunc
	restartCh      chan struct{}
	checkRestartCh chan string
	waitCh         chan struct{}
}

// TaskRunnerConfig configures a task runner.
type TaskRunnerConfig struct {
	Alloc    *nomadlike.Allocation
	Task     *nomadlike.Task
	AllocDir *allocdir.AllocDir
	Drivers  DriverGetter
	DB       localstate.DB
	Node     NodeGetter
	Hooks    []TaskPrestartHook
	Logger   hclog.Logger
	// OnUpdate is called after every change of the task's state.
	OnUpdate func()
	// Network returns the allocation's network namespace (nil: host mode).
	Network func() (*drivers.NetworkIsolation, *nomadlike.AllocNetworkStatus)
	// Restored state from a previous agent (nil for a new task).
	State *nomadlike.TaskState
	Local *localstate.TaskRunnerState
}

// NewTaskRunner returns a runner; nothing happens until Run.
func NewTaskRunner(cfg TaskRunnerConfig) *TaskRunner {
	tr := &TaskRunner{
		allocID:   cfg.Alloc.ID,
		name:      cfg.Task.Name,
		ad:        cfg.AllocDir,
		drivers:   cfg.Drivers,
		db:        cfg.DB,
		node:      cfg.Node,
		hooks:     cfg.Hooks,
		logger:    cfg.Logger.With("task", cfg.Task.Name),
		onUpdate:  cfg.OnUpdate,
		network:   cfg.Network,
		alloc:     cfg.Alloc,
		task:      cfg.Task,
		state:     cfg.State,
		local:     cfg.Local,
		restartCh: make(chan struct{}, 1),
		waitCh:    make(chan struct{}),

		checkRestartCh: make(chan string, 1),

		reconnectPolicy: defaultReconnect,
	}
	tr.killCtx, tr.killCancel = context.WithCancel(context.Background())
	tr.shutdownCtx, tr.shutdownCancel = context.WithCancel(context.Background())
	jobType := ""
	if cfg.Alloc.Job != nil {
		jobType = cfg.Alloc.Job.Type
	}
	tr.restarts = newRestartTracker(cfg.Task.RestartPolicy, jobType)
	if tr.local == nil {
		tr.local = &localstate.TaskRunnerState{}
	}
	tr.restarts.count = tr.local.RestartCount
	if tr.local.RestartWindowNS != 0 {
		tr.restarts.window = time.Unix(0, tr.local.RestartWindowNS)
	}
	if tr.state == nil {
		tr.state = &nomadlike.TaskState{State: nomadlike.TaskStatePending}
		tr.appendEventLocked(newEvent(nomadlike.TaskEventReceived, "Task received by client"))
		tr.persistLocked()
	}
	return tr
}

// Name returns the task's name.
func (tr *TaskRunner) Name() string { return tr.name }

// Task returns the task's current definition.
func (tr *TaskRunner) Task() *nomadlike.Task {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.task
}

// State returns a copy of the task's state.
func (tr *TaskRunner) State() *nomadlike.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.state.Copy()
}

// WaitCh is closed when Run returns.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// IsDead reports whether the task finished for good.
func (tr *TaskRunner) IsDead() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.state.State == nomadlike.TaskStateDead
}

// UpdateAlloc hands the runner a newer version of its allocation; the task
// definition it carries is used from the next start on.
func (tr *TaskRunner) UpdateAlloc(a *nomadlike.Allocation) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.alloc = a
	if a.Job != nil {
		if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
			if t := tg.LookupTask(tr.name); t != nil {
				tr.task = t
			}
		}
	}
}

func (tr *TaskRunner) appendEventLocked(ev *nomadlike.TaskEvent) {
	tr.state.Events = append(tr.state.Events, ev)
	if n := len(tr.state.Events); n > maxTaskEvents {
		tr.state.Events = tr.state.Events[n-maxTaskEvents:]
	}
	tr.logger.Debug("task event", "type", ev.Type, "msg", ev.DisplayMessage)
}

// persistLocked writes the task's state and runner state in one local-state
// transaction: one commit to wait for per change, not two in a row.
func (tr *TaskRunner) persistLocked() {
	if err := tr.db.PutTask(tr.allocID, tr.name, tr.state, tr.local); err != nil {
		tr.logger.Error("persist task state", "error", err)
	}
}

// update applies f to the state under the lock, persists and notifies.
func (tr *TaskRunner) update(f func()) {
	tr.mu.Lock()
	f()
	tr.persistLocked()
	tr.mu.Unlock()
	if tr.onUpdate != nil {
		tr.onUpdate()
	}
}

func (tr *TaskRunner) emit(ev *nomadlike.TaskEvent) {
	tr.update(func() { tr.appendEventLocked(ev) })
}

func (tr *TaskRunner) setState(state string, failed bool, ev *nomadlike.TaskEvent) {
	tr.update(func() {
		if ev != nil {
			tr.appendEventLocked(ev)
		}
		now := time.Now().UTC()
		switch state {
		case nomadlike.TaskStateRunning:
			tr.state.StartedAt = nomadlike.Time{Time: now}
			tr.state.FinishedAt = nomadlike.Time{}
		case nomadlike.TaskStateDead:
			if tr.state.State != nomadlike.TaskStateDead {
				tr.state.FinishedAt = nomadlike.Time{Time: now}
			}
			tr.local.Handle = nil
		}
		tr.state.State = state
		if failed {
			tr.state.Failed = true
		}
	})
}

// Run drives the task until it is dead, killed, or the runner is shut down.
//
// Why it is shaped this way: a task's life is a loop of (prestart hooks →
// start → wait) turns separated by restart-policy delays, and three things
// can interrupt any step: a kill (the allocation stops, a sibling failed,
// the leader died), a user restart, and the agent shutting down. Kill and
// shutdown are contexts so that a download or a delay in progress ends at
// once; they differ in what they leave behind: a kill stops the process and
// marks the task dead, a shutdown only stops watching, leaving the process
// and its persisted handle for the next agent, which enters this loop at
// "wait" through RecoverTask instead of starting the task again. Every state
// change is persisted before the alloc runner hears of it, so what the
// servers are told is never ahead of what a restarted agent would know.
func (tr *TaskRunner) Run() {
	defer close(tr.waitCh)
	defer tr.stopHooks()
	defer tr.stopDriverEvents() // driver task events (#20)
	tr.mu.Lock()
	tr.started = true
	dead := tr.state.State == nomadlike.TaskStateDead
	handle := tr.local.Handle
	tr.mu.Unlock()
	if dead {
		return
	}
	resumed := handle != nil && tr.recoverHandle(handle)
	if resumed {
		tr.recoverHooks()
		tr.watchDriverEvents(tr.driverOf(), handle.Config.ID) // driver task events (#20)
	}

	for {
		var res *drivers.ExitResult
		var startErr error
		recoverable := true
		if !resumed {
			if tr.shutdownCtx.Err() != nil {
				return
			}
			if tr.killCtx.Err() != nil {
				tr.setState(nomadlike.TaskStateDead, false, nil)
				return
			}
			var ev *nomadlike.TaskEvent
			ev, recoverable, startErr = tr.prestartAndStart()
			if startErr != nil {
				if tr.shutdownCtx.Err() != nil {
					return
				}
				if tr.killCtx.Err() != nil {
					tr.setState(nomadlike.TaskStateDead, false, nil)
					return
				}
				tr.emit(ev)
				tr.logger.Warn("task failed to start", "error", startErr)
			}
		}
		resumed = false

		if startErr == nil {
			var outcome waitOutcome
			res, outcome = tr.wait()
			tr.stopDriverEvents() // the attempt is over (driverevents.go)
			switch outcome {
			case outcomeShutdown:
				return
			case outcomeKilled:
				tr.mu.Lock()
				fails := tr.killFails
				tr.mu.Unlock()
				tr.setState(nomadlike.TaskStateDead, fails, nil)
				return
			case outcomeRestart:
				tr.update(func() {
					tr.local.Handle = nil
					tr.state.State = nomadlike.TaskStatePending
					tr.state.Restarts++
					tr.state.LastRestart = nomadlike.Time{Time: time.Now().UTC()}
					tr.appendEventLocked(restartingEvent(0, ReasonUserRestart))
				})
				continue
			}
			ev := terminatedEvent(res)
			var d drivers.Driver
			var h *drivers.TaskHandle
			tr.update(func() {
				tr.appendEventLocked(ev)
				d, h = tr.driver, tr.local.Handle
				tr.local.Handle = nil
			})
			if res.OOMKilled {
				tr.emit(newEvent(nomadlike.TaskEventOOMKilled, "OOM Killed"))
			}
			tr.destroyExited(d, h)
		}

		dec := tr.restarts.next(res, startErr, recoverable)
		tr.update(func() {
			tr.local.RestartCount = tr.restarts.count
			tr.local.RestartWindowNS = tr.restarts.window.UnixNano()
		})
		if !dec.restart {
			var ev *nomadlike.TaskEvent
			if dec.failed {
				ev = notRestartingEvent(dec.reason, true)
			}
			tr.setState(nomadlike.TaskStateDead, dec.failed, ev)
			return
		}
		tr.update(func() {
			tr.state.State = nomadlike.TaskStatePending
			tr.state.Restarts++
			tr.state.LastRestart = nomadlike.Time{Time: time.Now().UTC()}
			tr.appendEventLocked(restartingEvent(dec.delay, dec.reason))
		})
		timer := time.NewTimer(dec.delay)
		select {
		case <-timer.C:
		case <-tr.killCtx.Done():
			timer.Stop()
			tr.setState(nomadlike.TaskStateDead, false, nil)
			return
		case <-tr.shutdownCtx.Done():
			timer.Stop()
			return
		}
	}
}

// destroyExited releases what the driver holds for a task that exited on
// its own (its cgroup, container, log copiers, its entry in the plugin's
// memory) before the restart policy decides, so that neither a restart nor
// the end of the allocation leaves them behind. Killed tasks are destroyed
// by stop.
func (tr *TaskRunner) destroyExited(d drivers.Driver, h *drivers.TaskHandle) {
	if d == nil || h == nil || h.Config == nil {
		return
	}
	if err := d.DestroyTask(h.Config.ID, true); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		tr.logger.Warn("destroy exited task", "task_id", h.Config.ID, "error", err)
	}
}

// recoverHandle reattaches to a task a previous agent started.
func (tr *TaskRunner) recoverHandle(h *drivers.TaskHandle) bool {
	task := tr.Task()
	d, err := tr.drivers.Driver(task.Driver)
	if err == nil {
		err = d.RecoverTask(h)
	}
	if err != nil {
		tr.logger.Warn("cannot recover task, starting it again", "error", err)
		tr.update(func() {
			tr.local.Handle = nil
			tr.appendEventLocked(driverFailureEvent(fmt.Errorf("failed to recover task: %w", err), false))
		})
		return false
	}
	tr.logger.Info("recovered task", "task_id", h.Config.ID)
	tr.mu.Lock()
	tr.driver = d
	tr.mu.Unlock()
	if tr.State().State != nomadlike.TaskStateRunning {
		tr.setState(nomadlike.TaskStateRunning, false, nil)
	}
	return true
}

// prestartAndStart runs the prestart hooks and starts the task. On failure
// it returns the error, whether a restart may fix it, and the event to show.
func (tr *TaskRunner) prestartAndStart() (*nomadlike.TaskEvent, bool, error) {
	d, req, err := tr.prestartRequest()
	if err != nil {
		return driverFailureEvent(err, true), false, err
	}
	alloc, task, td := req.Alloc, req.Task, req.TaskDir

	tr.emit(newEvent(nomadlike.TaskEventSetup, "Building Task Directory"))
	// Hooks may block (templates wait for their data): a kill or the
	// agent's shutdown ends them.
	ctx, cancel := context.WithCancel(tr.killCtx)
	defer cancel()
	defer context.AfterFunc(tr.shutdownCtx, cancel)()
	for _, h := range tr.hooks {
		resp := &TaskPrestartResponse{}
		if err := h.Prestart(ctx, req, resp); err != nil {
			var he *HookError
			if errors.As(err, &he) {
				return he.Event, he.Recoverable, err
			}
			return newEvent(nomadlike.TaskEventSetupFailure, fmt.Sprintf("%s: %v", h.Name(), err)), false, err
		}
		if len(resp.Env) > 0 {
			req.Env = req.Env.With(resp.Env)
		}
		if resp.ArtifactsDone {
			req.ArtifactsDone = true
			tr.update(func() { tr.local.ArtifactsDone = true })
		}
	}
	cfg, err := tr.taskConfig(alloc, task, td, req.Env)
	if err != nil {
		return driverFailureEvent(err, true), false, err
	}
	if cfg.Mounts, err = taskMounts(tr.node(), alloc, task); err == nil { // host volumes (volumes.go)
		err = checkMountSupport(d.Info(), cfg.Mounts)
	}
	if err != nil {
		return driverFailureEvent(err, true), false, err
	}
	tr.applyNetwork(d, cfg)
	if err := d.ValidateTaskConfig(cfg.Config); err != nil {
		return driverFailureEvent(fmt.Errorf("failed to validate task config: %w", err), true), false, err
	}
	tr.watchDriverEvents(d, cfg.ID) // before StartTask: its events count (#20)
	handle, err := d.StartTask(cfg)
	if err != nil {
		tr.stopDriverEvents()
		return driverFailureEvent(fmt.Errorf("failed to start task: %w", err), false), true, err
	}
	if handle.Config == nil {
		handle.Config = cfg
	}
	tr.update(func() {
		tr.local.Handle = handle
		tr.driver = d
		tr.state.DriverNetwork = driverNetwork(handle.Network) // (#20)
	})
	tr.setState(nomadlike.TaskStateRunning, false, newEvent(nomadlike.TaskEventStarted, "Task started by client"))
	return nil, true, nil
}

// prestartRequest builds what hooks see: the task's driver, directories
// and environment.
func (tr *TaskRunner) prestartRequest() (drivers.Driver, *TaskPrestartRequest, error) {
	tr.mu.Lock()
	alloc, task, artifactsDone := tr.alloc, tr.task, tr.local.ArtifactsDone
	tr.mu.Unlock()

	d, err := tr.drivers.Driver(task.Driver)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to get driver %q: %w", task.Driver, err)
	}
	td := tr.ad.TaskDir(task.Name)
	paths := taskenv.Paths{AllocDir: tr.ad.SharedDir(), TaskDir: td.LocalDir, SecretsDir: td.SecretsDir}
	if iso := d.Info().Capabilities.FSIsolation; iso != "" && iso != drivers.FSIsolationNone {
		paths = taskenv.Paths{AllocDir: "/" + allocdir.SharedAllocName, TaskDir: "/" + allocdir.TaskLocal, SecretsDir: "/" + allocdir.TaskSecrets}
	}
	env := taskenv.Build(tr.node(), tr.withNetworkStatus(alloc), task, paths)
	req := &TaskPrestartRequest{Alloc: alloc, Task: task, AllocDir: tr.ad, TaskDir: td, Env: env, ArtifactsDone: artifactsDone, Emit: tr.emit, Runner: tr}
	return d, req, nil
}

// stopHooks tells the hooks that keep something running that the runner
// ends.
func (tr *TaskRunner) stopHooks() {
	for _, h := range tr.hooks {
		if s, ok := h.(TaskStopHook); ok {
			s.Stop()
		}
	}
}

// recoverHooks tells the hooks that the runner reattached to a task.
func (tr *TaskRunner) recoverHooks() {
	_, req, err := tr.prestartRequest()
	if err != nil {
		tr.logger.Warn("recover hooks", "error", err)
		return
	}
	for _, h := range tr.hooks {
		if r, ok := h.(TaskRecoverHook); ok {
			r.Recover(tr.killCtx, req)
		}
	}
}

func (tr *TaskRunner) taskConfig(alloc *nomadlike.Allocation, task *nomadlike.Task, td allocdir.TaskDir, env *taskenv.Env) (*drivers.TaskConfig, error) {
	raw, err := json.Marshal(env.ReplaceConfig(task.Config))
	if err != nil {
		return nil, fmt.Errorf("encode task config: %w", err)
	}
	if task.Config == nil {
		raw = json.RawMessage(`{}`)
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	cfg := &drivers.TaskConfig{
		ID:            fmt.Sprintf("%s/%s/%s", alloc.ID, task.Name, hex.EncodeToString(suffix[:])),
		TaskGroupName: alloc.TaskGroup,
		Name:          task.Name,
		AllocID:       alloc.ID,
		Namespace:     alloc.Namespace,
		User:          task.User,
		Env:           env.Map(),
		Config:        raw,
		AllocDir:      tr.ad.Dir,
		TaskDir: drivers.TaskDir{
			Dir: td.Dir, SharedDir: tr.ad.SharedDir(), LocalDir: td.LocalDir,
			SecretsDir: td.SecretsDir, LogDir: tr.ad.LogDir(),
		},
		Logs:       drivers.LogConfig{Dir: tr.ad.LogDir(), MaxFiles: nomadlike.DefaultLogMaxFiles, MaxFileSizeMB: nomadlike.DefaultLogMaxFileSizeMB},
		KillSignal: task.KillSignal,
	}
	if alloc.Job != nil {
		cfg.JobName = alloc.Job.Name
	}
	if lc := task.LogConfig; lc != nil {
		if lc.MaxFiles > 0 {
			cfg.Logs.MaxFiles = lc.MaxFiles
		}
		if lc.MaxFileSizeMB > 0 {
			cfg.Logs.MaxFileSizeMB = lc.MaxFileSizeMB
		}
		cfg.Logs.Disabled = lc.Disabled
	}
	if ar := alloc.AllocatedResources; ar != nil {
		if r := ar.Tasks[task.Name]; r != nil {
			cfg.Resources = drivers.Resources{CPUShares: r.Cpu.CpuShares, MemoryMB: r.Memory.MemoryMB, MemoryMaxMB: r.Memory.MemoryMaxMB}
		}
		cfg.Resources.DiskMB = ar.Shared.DiskMB
	} else if r := task.Resources; r != nil {
		cfg.Resources = drivers.Resources{CPUShares: int64(r.CPU), MemoryMB: int64(r.MemoryMB), MemoryMaxMB: int64(r.MemoryMaxMB), DiskMB: int64(r.DiskMB)}
	}
	return cfg, nil
}

type waitResult struct {
	res *drivers.ExitResult
	err error
}

// wait waits for the running task to exit, to be killed or restarted, or
// for the runner to shut down.
func (tr *TaskRunner) wait() (*drivers.ExitResult, waitOutcome) {
	for attempt := 0; ; attempt++ {
		tr.mu.Lock()
		d, h := tr.driver, tr.local.Handle
		tr.mu.Unlock()
		id := h.Config.ID
		ctx, cancel := context.WithCancel(tr.shutdownCtx)
		resCh := make(chan waitResult, 1)
		go func() {
			r, err := d.WaitTask(ctx, id)
			resCh <- waitResult{r, err}
		}()
		select {
		case w := <-resCh:
			cancel()
			if w.err == nil {
				return w.res, outcomeExited
			}
			if tr.shutdownCtx.Err() != nil {
				return nil, outcomeShutdown
			}
			// The plugin may have died: wait for the driver manager to
			// relaunch it and recover the task from its handle, with
			// backoff; only then is the task lost (and destroyed).
			tr.logger.Warn("lost contact with the task's driver", "error", w.err, "reconnects", attempt)
			if attempt >= tr.reconnectPolicy.MaxReconnects {
				return tr.giveUp(h, fmt.Errorf("%w: driver failed %d times: %v", ErrDriverLost, attempt+1, w.err)), outcomeExited
			}
			nd, err := tr.reconnect(h)
			switch {
			case tr.shutdownCtx.Err() != nil:
				return nil, outcomeShutdown
			case err != nil && tr.killCtx.Err() != nil:
				return tr.giveUp(h, err), outcomeKilled
			case err != nil:
				return tr.giveUp(h, err), outcomeExited
			}
			tr.mu.Lock()
			tr.driver = nd
			tr.mu.Unlock()
			tr.emit(reconnectedEvent(w.err))
			continue
		case <-tr.killCtx.Done():
			res := tr.stop(d, id, resCh, true)
			cancel()
			return res, outcomeKilled
		case reason := <-tr.checkRestartCh:
			tr.emit(newEvent(nomadlike.TaskEventRestartSignal, reason))
			res := tr.stop(d, id, resCh, false)
			cancel()
			if res.Successful() {
				r := *res
				r.Err = reason
				res = &r
			}
			return res, outcomeExited
		case <-tr.restartCh:
			tr.mu.Lock()
			note := tr.restartNote
			tr.mu.Unlock()
			if note == "" {
				note = ReasonUserRestart
			}
			tr.emit(newEvent(nomadlike.TaskEventRestartSignal, note))
			res := tr.stop(d, id, resCh, false)
			cancel()
			return res, outcomeRestart
		case <-tr.shutdownCtx.Done():
			cancel()
			return nil, outcomeShutdown
		}
	}
}

// stop sends the kill signal, waits for the exit and releases the task.
func (tr *TaskRunner) stop(d drivers.Driver, id string, resCh <-chan waitResult, kill bool) *drivers.ExitResult {
	task := tr.Task()
	tr.mu.Lock()
	reason := tr.killNote
	tr.mu.Unlock()
	timeout := task.KillTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if kill {
		tr.shutdownDelay(task.ShutdownDelay)
		tr.emit(killingEvent(timeout, reason))
	}
	if err := d.StopTask(id, timeout, task.KillSignal); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		tr.logger.Warn("stop task", "error", err)
		// The plugin may be dead: stop the task through the relaunched one.
		d, resCh = tr.stopAgain(d, id, timeout, task.KillSignal, resCh)
	}
	var res *drivers.ExitResult
	deadline := time.NewTimer(timeout + 30*time.Second)
	defer deadline.Stop()
	select {
	case w := <-resCh:
		res = w.res
	case <-deadline.C:
		tr.logger.Error("task did not exit after kill timeout, destroying it")
	}
	if err := d.DestroyTask(id, true); err != nil && !errors.Is(err, drivers.ErrTaskNotFound) {
		tr.logger.Warn("destroy task", "error", err)
	}
	if res == nil {
		res = &drivers.ExitResult{ExitCode: -1, Err: "killed"}
	}
	if kill {
		ev := newEvent(nomadlike.TaskEventKilled, "Task successfully killed")
		ev.ExitCode, ev.Signal = res.ExitCode, res.Signal
		tr.emit(ev)
	}
	return res
}

// shutdownDelay waits the task's shutdown_delay before the kill signal
// (its services were deregistered by the alloc runner's pre-kill hooks);
// an agent shutdown cuts it short.
func (tr *TaskRunner) shutdownDelay(d time.Duration) {
	if d <= 0 {
		return
	}
	// Nomad's event type (TaskWaitingShuttingDownDelay).
	tr.emit(newEvent("Waiting for shutdown delay", fmt.Sprintf("Waiting for shutdown_delay of %s before killing the task.", d)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-tr.shutdownCtx.Done():
	}
}
