package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/checks"
	"github.com/nomadlike/nomadlike/nomadlike/client/getter"
	"github.com/nomadlike/nomadlike/nomadlike/client/localstate"
	"github.com/nomadlike/nomadlike/nomadlike/internal/reqlimit"
)

// ErrNoTaskGroup is returned for an allocation whose job lacks its group.
var ErrNoTaskGroup = errors.New("allocation's task group is not in its job")

// StateUpdater receives an allocation's client state every time it
// changes. It must not block: the client queues it for the next batch.
type StateUpdater interface {
	AllocStateUpdated(a *nomadlike.Allocation)
}

// Config configures an alloc runner.
type Config struct {
	Alloc *nomadlike.Allocation
	// AllocsDir is <data_dir>/alloc.
	AllocsDir string
	Drivers   DriverGetter
	DB        localstate.DB
	Node      NodeGetter
	Getter    *getter.Getter
	Updater   StateUpdater
	Logger    hclog.Logger
	// Restored is the persisted state of an allocation a previous agent ran.
	Restored *localstate.AllocState
	// DestroyHooks run on Destroy, after every task stopped and before the
	// allocation directory is removed (the client keeps the logs there).
	DestroyHooks []AllocDestroyHook
	// Templates is what templates need to read Nomad data (tmplwatch).
	Templates TemplateConfig
	// Checks runs the services' checks (nil: none run; see health.go).
	Checks *checks.Manager
	// PreKillHooks run once before the tasks are killed (shutdown_delay).
	PreKillHooks []AllocPreKillHook
	// Network makes the namespace of a group in bridge, none or cni/NAME
	// mode (network.go); nil fails such allocations.
	Network NetworkManager
	// Identities re-fetches the tasks' identities to renew a token with
	// a ttl (identity_hook.go); nil: tokens are not renewed.
	Identities IdentityFetcher
}

// Task roles in the group's lifecycle.
const (
	rolePrestart        = "prestart"
	rolePrestartSidecar = "prestart-sidecar"
	roleMain            = "main"
	rolePoststart       = "poststart"
	rolePoststop        = "poststop"
)

func taskRole(t *nomadlike.Task) string {
	lc := t.Lifecycle
	if lc == nil || lc.Hook == "" {
		return roleMain
	}
	switch lc.Hook {
	case nomadlike.TaskLifecycleHookPrestart:
		if lc.Sidecar {
			return rolePrestartSidecar
		}
		return rolePrestart
	case nomadlike.TaskLifecycleHookPoststart:
		return rolePoststart
	case nomadlike.TaskLifecycleHookPoststop:
		return rolePoststop
	}
	return roleMain
}

// AllocRunner runs one allocation. Its methods are safe for concurrent use.
type AllocRunner struct {
	id      string
	ad      *allocdir.AllocDir
	db      localstate.DB
	updater StateUpdater
	logger  hclog.Logger
	hooks   []any
	checks  *checks.Manager

	mu sync.Mutex
	// notifyMu orders the state notifications to the updater, which runs
	// without mu held: an updater may call back into the runner (the
	// catalog's check status reads Alloc()).
	notifyMu sync.Mutex
	// Deployment health (health.go), under mu.
	health   *nomadlike.AllocDeploymentStatus
	healthW  *checks.HealthWatcher
	checksOn bool
	netHook  *networkHook // nil in host network mode

	alloc *nomadlike.Allocation
	tasks map[string]*TaskRunner
	roles map[string]string
	order []string // group order

	updateCh     chan struct{}
	killCh       chan struct{}
	killOnce     sync.Once
	destroyCh    chan struct{}
	destroyOnce  sync.Once
	shutdownCh   chan struct{}
	shutdownOnce sync.Once
	waitCh       chan struct{}
	preKillOnce  sync.Once
}

// New returns the runner of cfg.Alloc, restoring task runners from
// cfg.Restored when set. Nothing runs until Run.
func New(cfg Config) (*AllocRunner, error) {
	a := cfg.Alloc
	if a.Job == nil {
		return nil, fmt.Errorf("alloc %s: %w", a.ID, ErrNoTaskGroup)
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return nil, fmt.Errorf("alloc %s group %q: %w", a.ID, a.TaskGroup, ErrNoTaskGroup)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	ar := &AllocRunner{
		id:         a.ID,
		ad:         allocdir.New(cfg.AllocsDir, a.ID),
		db:         cfg.DB,
		updater:    cfg.Updater,
		checks:     cfg.Checks,
		logger:     logger.Named("alloc_runner").With("alloc_id", a.ID),
		alloc:      a,
		tasks:      map[string]*TaskRunner{},
		roles:      map[string]string{},
		updateCh:   make(chan struct{}, 1),
		killCh:     make(chan struct{}),
		destroyCh:  make(chan struct{}),
		shutdownCh: make(chan struct{}),
		waitCh:     make(chan struct{}),
	}
	for _, h := range cfg.DestroyHooks {
		ar.hooks = append(ar.hooks, h)
	}
	for _, h := range cfg.PreKillHooks {
		ar.hooks = append(ar.hooks, h)
	}
	ar.hooks = append(ar.hooks, allocDirHook{ad: ar.ad})
	if n := groupNetwork(a, tg); n != nil {
		ar.netHook = &networkHook{ar: ar, mgr: cfg.Network, net: n, node: cfg.Node}
		ar.hooks = append(ar.hooks, ar.netHook)
	}
	if cfg.Restored == nil {
		if err := cfg.DB.PutAlloc(a); err != nil {
			return nil, fmt.Errorf("persist alloc %s: %w", a.ID, err)
		}
	}
	g := cfg.Getter
	if g == nil {
		g = getter.New(getter.DefaultConfig())
	}
	for _, t := range tg.Tasks {
		idh := newIdentityHook(cfg.Identities, ar.logger.With("task", t.Name)) // workload identity and its renewal
		hooks := []TaskPrestartHook{taskDirHook{}, artifactHook{getter: g}, dispatchPayloadHook{}, idh,
			newTemplateHook(cfg.Templates, ar.logger.With("task", t.Name), idh.current)}
		trc := TaskRunnerConfig{
			Alloc: a, Task: t, AllocDir: ar.ad, Drivers: cfg.Drivers, DB: cfg.DB, Node: cfg.Node,
			Hooks: hooks, Logger: ar.logger, OnUpdate: ar.taskStateUpdated,
		}
		if ar.netHook != nil {
			trc.Network = ar.netHook.result
		}
		if r := cfg.Restored; r != nil {
			trc.State = r.TaskStates[t.Name]
			trc.Local = r.Tasks[t.Name]
		}
		ar.tasks[t.Name] = NewTaskRunner(trc)
		ar.roles[t.Name] = taskRole(t)
		ar.order = append(ar.order, t.Name)
	}
	return ar, nil
}

// ID returns the allocation ID.
func (ar *AllocRunner) ID() string { return ar.id }

// AllocDir returns the allocation's directory.
func (ar *AllocRunner) AllocDir() *allocdir.AllocDir { return ar.ad }

// WaitCh is closed when every task has finished (or the runner shut down).
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.waitCh }

// Alloc returns a copy of the allocation with its current client state.
func (ar *AllocRunner) Alloc() *nomadlike.Allocation {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.clientAllocLocked()
}

func (ar *AllocRunner) clientAllocLocked() *nomadlike.Allocation {
	a := ar.alloc.Copy()
	a.TaskStates = map[string]*nomadlike.TaskState{}
	for name, tr := range ar.tasks {
		a.TaskStates[name] = tr.State()
	}
	a.ClientStatus, a.ClientDescription = ClientStatus(a.TaskStates)
	ar.withHealthLocked(a)
	if st := ar.netHook.lastStatus(); st != nil {
		a.NetworkStatus = st
	}
	return a
}

// ClientStatus derives an allocation's client status from its tasks: failed
// when one failed, else running when one runs, else pending when one has
// not run, else complete.
func ClientStatus(states map[string]*nomadlike.TaskState) (status, description string) {
	var pending, running, failed, dead bool
	for _, s := range states {
		switch s.State {
		case nomadlike.TaskStateRunning:
			running = true
		case nomadlike.TaskStatePending:
			pending = true
		case nomadlike.TaskStateDead:
			if s.Failed {
				failed = true
			} else {
				dead = true
			}
		}
	}
	switch {
	case failed:
		return nomadlike.AllocClientStatusFailed, "Failed tasks"
	case running:
		return nomadlike.AllocClientStatusRunning, "Tasks are running"
	case pending:
		return nomadlike.AllocClientStatusPending, "No tasks have started"
	case dead:
		return nomadlike.AllocClientStatusComplete, "All tasks have completed"
	}
	return nomadlike.AllocClientStatusPending, "No tasks"
}

// taskStateUpdated is every task runner's OnUpdate: wake the coordinator
// and report the new state. Reporting under the lock keeps the updater's
// view in order.
func (ar *AllocRunner) taskStateUpdated() {
	select {
	case ar.updateCh <- struct{}{}:
	default:
	}
	ar.notifyHealth()
	ar.notifyMu.Lock()
	defer ar.notifyMu.Unlock()
	ar.mu.Lock()
	updater, ca := ar.updater, ar.clientAllocLocked()
	ar.mu.Unlock()
	if updater != nil {
		updater.AllocStateUpdated(ca)
	}
}

// Update hands the runner a newer version of its allocation from the
// servers. A desired status of stop or evict kills the tasks.
func (ar *AllocRunner) Update(a *nomadlike.Allocation) {
	ar.mu.Lock()
	newDeployment := a.DeploymentID != ar.alloc.DeploymentID
	if newDeployment {
		ar.health = nil
	}
	ar.alloc = a
	for _, tr := range ar.tasks {
		tr.UpdateAlloc(a)
	}
	ar.mu.Unlock()
	if err := ar.db.PutAlloc(a); err != nil {
		ar.logger.Error("persist alloc", "error", err)
	}
	if a.DesiredStatus != nomadlike.AllocDesiredStatusRun {
		ar.Kill()
	} else if newDeployment && ar.checksRunning() {
		ar.startHealth(ar.Alloc())
	}
	ar.taskStateUpdated()
}

// Kill stops the allocation's tasks; poststop tasks still run.
func (ar *AllocRunner) Kill() {
	ar.killOnce.Do(func() { close(ar.killCh) })
}

// Destroy kills every task (poststop tasks included), removes the
// allocation directory and forgets the allocation. It blocks until done.
func (ar *AllocRunner) Destroy() {
	ar.Kill()
	ar.destroyOnce.Do(func() { close(ar.destroyCh) })
	<-ar.waitCh
	select {
	case <-ar.shutdownCh:
		return // the agent is stopping; the next one will destroy it
	default:
	}
	for _, h := range ar.hooks {
		if d, ok := h.(AllocDestroyHook); ok {
			if err := d.Destroy(); err != nil {
				ar.logger.Warn("destroy hook failed", "hook", d.Name(), "error", err)
			}
		}
	}
	if err := ar.db.DeleteAlloc(ar.id); err != nil {
		ar.logger.Error("forget alloc", "error", err)
	}
}

// Shutdown detaches from the tasks, leaving them running, and waits for
// the runner's goroutines to exit.
func (ar *AllocRunner) Shutdown() {
	ar.shutdownOnce.Do(func() { close(ar.shutdownCh) })
	for _, tr := range ar.taskList() {
		tr.Shutdown()
	}
	<-ar.waitCh
	for _, tr := range ar.taskList() {
		if tr.startedRun() {
			<-tr.WaitCh()
		}
	}
}

func (tr *TaskRunner) startedRun() bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.started
}

func (ar *AllocRunner) taskList() []*TaskRunner {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	out := make([]*TaskRunner, 0, len(ar.order))
	for _, n := range ar.order {
		out = append(out, ar.tasks[n])
	}
	return out
}

func (ar *AllocRunner) byRole(roles ...string) []*TaskRunner {
	var out []*TaskRunner
	for _, tr := range ar.taskList() {
		for _, r := range roles {
			if ar.roles[tr.Name()] == r {
				out = append(out, tr)
			}
		}
	}
	return out
}

// TaskRunner returns the named task's runner.
func (ar *AllocRunner) TaskRunner(name string) (*TaskRunner, error) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	tr := ar.tasks[name]
	if tr == nil {
		return nil, fmt.Errorf("task %s: %w", reqlimit.Quote(name), ErrUnknownTask)
	}
	return tr, nil
}

// TaskNames returns the group's task names in order.
func (ar *AllocRunner) TaskNames() []string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return append([]string(nil), ar.order...)
}

// Restart restarts the named task, or every running task when task is "".
func (ar *AllocRunner) Restart(task string) error {
	if task != "" {
		tr, err := ar.TaskRunner(task)
		if err != nil {
			return err
		}
		return tr.Restart()
	}
	n := 0
	for _, tr := range ar.taskList() {
		if tr.Restart() == nil {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("restart: %w", ErrTaskNotRunning)
	}
	return nil
}

// Signal signals the named task, or every running task when task is "".
// sig must be a signal name (see ParseSignal); anything else is refused
// before any task is touched.
func (ar *AllocRunner) Signal(task, sig string) error {
	if _, err := ParseSignal(sig); err != nil {
		return err
	}
	if task != "" {
		tr, err := ar.TaskRunner(task)
		if err != nil {
			return err
		}
		return tr.Signal(sig)
	}
	var errs []error
	n := 0
	for _, tr := range ar.taskList() {
		if tr.State().State != nomadlike.TaskStateRunning {
			continue
		}
		n++
		if err := tr.Signal(sig); err != nil {
			errs = append(errs, err)
		}
	}
	if n == 0 {
		return fmt.Errorf("signal: %w", ErrTaskNotRunning)
	}
	return errors.Join(errs...)
}

// Stats samples every running task's resource usage by task name.
func (ar *AllocRunner) Stats(ctx context.Context) map[string]*drivers.TaskResourceUsage {
	out := map[string]*drivers.TaskResourceUsage{}
	for _, tr := range ar.taskList() {
		if u, err := tr.Stats(ctx); err == nil {
			out[tr.Name()] = u
		}
	}
	return out
}

type phaseResult int

const (
	waitMet phaseResult = iota
	waitKilled
	waitShutdown
)

// waitFor blocks until cond holds, the allocation is killed (when kill
// interrupts) or the runner shuts down. cond is checked after every task
// state change.
func (ar *AllocRunner) waitFor(cond func() bool, killInterrupts bool) phaseResult {
	killCh := ar.killCh
	if !killInterrupts {
		killCh = ar.destroyCh
	}
	for {
		if cond() {
			return waitMet
		}
		select {
		case <-ar.updateCh:
		case <-killCh:
			return waitKilled
		case <-ar.shutdownCh:
			return waitShutdown
		}
	}
}

func allDead(trs []*TaskRunner) bool {
	for _, tr := range trs {
		if !tr.IsDead() {
			return false
		}
	}
	return true
}

func firstFailed(trs []*TaskRunner) *TaskRunner {
	for _, tr := range trs {
		if s := tr.State(); s.State == nomadlike.TaskStateDead && s.Failed {
			return tr
		}
	}
	return nil
}

func allRunning(trs []*TaskRunner) bool {
	for _, tr := range trs {
		if tr.State().State != nomadlike.TaskStateRunning {
			return false
		}
	}
	return true
}

func allStarted(trs []*TaskRunner) bool {
	for _, tr := range trs {
		if s := tr.State().State; s != nomadlike.TaskStateRunning && s != nomadlike.TaskStateDead {
			return false
		}
	}
	return true
}

func (ar *AllocRunner) start(trs []*TaskRunner) {
	for _, tr := range trs {
		if !tr.startedRun() {
			tr.mu.Lock()
			tr.started = true
			tr.mu.Unlock()
			go tr.Run()
		}
	}
}

// killAndWait kills trs with an optional cause per task and waits for them.
func (ar *AllocRunner) killAndWait(trs []*TaskRunner, cause func() *nomadlike.TaskEvent) {
	ar.preKill(trs)
	for _, tr := range trs {
		if !tr.startedRun() {
			tr.MarkDead()
			continue
		}
		var ev *nomadlike.TaskEvent
		if cause != nil {
			ev = cause()
		}
		tr.Kill(ev)
	}
	for _, tr := range trs {
		if tr.startedRun() {
			select {
			case <-tr.WaitCh():
			case <-ar.shutdownCh:
				return
			}
		}
	}
}

// Run runs the allocation to the end; call it in its own goroutine.
//
// Why it is shaped this way: task lifecycle hooks make an allocation a
// sequence of phases — prestart tasks (which must complete, unless they
// are sidecars), then main tasks, poststart tasks once every main task has
// started, and poststop tasks once the main tasks are done — and each phase
// can end early: a failed task stops its siblings, a dead leader stops the
// others, the servers stop the allocation. Rather than callbacks between
// task runners, this goroutine is the one place that decides: it sleeps
// until some task's state changes (or a kill or shutdown arrives) and
// re-checks the condition of the current phase. Because the conditions are
// functions of the task states alone, a restored allocation re-enters the
// same phases and simply finds the finished ones satisfied.
func (ar *AllocRunner) Run() {
	defer close(ar.waitCh)
	defer ar.postrun()
	for _, h := range ar.hooks {
		if p, ok := h.(AllocPrerunHook); ok {
			if err := p.Prerun(); err != nil {
				ar.logger.Error("prerun hook failed", "hook", p.Name(), "error", err)
				for _, tr := range ar.taskList() {
					ev := newEvent(nomadlike.TaskEventSetupFailure, fmt.Sprintf("%s: %v", p.Name(), err))
					ev.FailsTask = true
					tr.setState(nomadlike.TaskStateDead, true, ev)
				}
				return
			}
		}
	}
	ar.taskStateUpdated()
	if ar.runPhases() == waitShutdown {
		return
	}
	// Poststop tasks run after everything else, even when the allocation
	// was stopped or failed; only Destroy cuts them short.
	post := ar.byRole(rolePoststop)
	if len(post) == 0 {
		return
	}
	ar.start(post)
	switch ar.waitFor(func() bool { return allDead(post) }, false) {
	case waitKilled:
		ar.killAndWait(post, nil)
	}
}

func (ar *AllocRunner) runPhases() phaseResult {
	nonPost := ar.byRole(rolePrestart, rolePrestartSidecar, roleMain, rolePoststart)
	ephemeral := ar.byRole(rolePrestart)
	main := ar.byRole(roleMain)
	stopAll := func() { ar.killAndWait(nonPost, nil) }

	ar.start(ar.byRole(rolePrestart, rolePrestartSidecar))
	switch ar.waitFor(func() bool { return allDead(ephemeral) || firstFailed(nonPost) != nil }, true) {
	case waitShutdown:
		return waitShutdown
	case waitKilled:
		stopAll()
		return waitKilled
	}
	if f := firstFailed(nonPost); f != nil {
		ar.killAndWait(nonPost, siblingFailed(f.Name()))
		return waitMet
	}

	ar.start(main)
	poststart := ar.byRole(rolePoststart)
	poststartStarted := len(poststart) == 0
	checksStarted := false
	defer ar.stopChecks()
	leader := ar.leader()
	for {
		r := ar.waitFor(func() bool {
			return (!poststartStarted && allStarted(main)) || (!checksStarted && allRunning(main)) || allDead(main) ||
				firstFailed(nonPost) != nil || (leader != nil && leader.IsDead())
		}, true)
		switch r {
		case waitShutdown:
			return waitShutdown
		case waitKilled:
			stopAll()
			return waitKilled
		}
		if f := firstFailed(nonPost); f != nil {
			ar.killAndWait(nonPost, siblingFailed(f.Name()))
			return waitMet
		}
		if leader != nil && leader.IsDead() {
			ar.killAndWait(nonPost, func() *nomadlike.TaskEvent {
				return newEvent(nomadlike.TaskEventLeaderDead, "Leader Task in Group dead")
			})
			return waitMet
		}
		if allDead(main) {
			// Sidecars and poststart tasks live only as long as the main tasks.
			ar.killAndWait(nonPost, nil)
			return waitMet
		}
		if !checksStarted && allRunning(main) {
			checksStarted = true
			ar.setChecksRunning()
			ar.startChecks()
		}
		if !poststartStarted && allStarted(main) {
			ar.start(poststart)
			poststartStarted = true
		}
	}
}

func siblingFailed(name string) func() *nomadlike.TaskEvent {
	return func() *nomadlike.TaskEvent {
		ev := newEvent(nomadlike.TaskEventSiblingFailed, fmt.Sprintf("Task's sibling %q failed", name))
		ev.Details["failed_sibling"] = name
		return ev
	}
}

func (ar *AllocRunner) leader() *TaskRunner {
	for _, tr := range ar.taskList() {
		if tr.Task().Leader {
			return tr
		}
	}
	return nil
}

// preKill runs the pre-kill hooks once (deregistering the allocation's
// services), then, when a task of trs still runs, waits the group's
// shutdown_delay (cut short by an agent shutdown).
func (ar *AllocRunner) preKill(trs []*TaskRunner) {
	ar.preKillOnce.Do(func() {
		for _, h := range ar.hooks {
			if p, ok := h.(AllocPreKillHook); ok {
				p.PreKill()
			}
		}
		var delay time.Duration
		ar.mu.Lock()
		if tg := ar.alloc.Job.LookupTaskGroup(ar.alloc.TaskGroup); tg != nil && tg.ShutdownDelay != nil {
			delay = *tg.ShutdownDelay
		}
		ar.mu.Unlock()
		if delay <= 0 || allDead(trs) {
			return
		}
		ar.logger.Debug("waiting the group's shutdown_delay", "delay", delay)
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ar.shutdownCh:
		}
	})
}
