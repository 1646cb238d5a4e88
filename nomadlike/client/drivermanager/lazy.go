package drivermanager

import (
	"errors"
	"sync"
	"time"

	"github.com/nomadlike/nomadlike/drivers"
)

// Lazily launched plugins (issue #19, idle memory). A driver with an
// in-process factory (Config.InProcess: the built-in drivers, whose code is
// linked into the agent) is fingerprinted in the agent process and its
// plugin process is started only when a caller needs it (Driver). Once it
// has had no task and no call in flight for Config.IdleGrace the manager
// stops it; the next Driver call launches a new one through the same
// relaunch path as a plugin that died (launchLocked).
//
// Driver hands out a lazyDriver bound to the current plugin process (a
// generation). A caller may hold it for long (a task runner keeps the
// driver its task started on); when the generation it is bound to was
// stopped for idleness — it then had no task, so no task can be confused
// with another process's — its next call goes to the current plugin,
// launching one. A generation that died instead keeps failing its calls,
// so that the task runner recovers its task from the handle (RecoverTask)
// exactly as before. The decision to stop is taken under the manager's
// lock with the generation's own lock held, after checking that no call
// is in flight: a StartTask racing it either enters first (and the plugin
// stays) or finds the generation retired (and goes to a new plugin).

// generation is one plugin process of a lazily launched driver and what
// keeps it running: calls in flight and the tasks it started or recovered
// and has not destroyed (an exited task counts until destroyed: its exit
// status waits for the client).
type generation struct {
	plugin Plugin

	mu        sync.Mutex
	inflight  int
	tasks     map[string]bool
	idleSince time.Time // when inflight and tasks last both became zero
	retired   bool      // stopped for idleness; never used again
}

func newGeneration(p Plugin, now time.Time) *generation {
	return &generation{plugin: p, tasks: map[string]bool{}, idleSince: now}
}

// enter counts a call in flight; false when the generation was retired.
func (g *generation) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired {
		return false
	}
	g.inflight++
	return true
}

// leave ends a call counted by enter.
func (g *generation) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	g.idleChangedLocked(time.Now())
}

func (g *generation) idleChangedLocked(now time.Time) {
	if g.inflight == 0 && len(g.tasks) == 0 {
		g.idleSince = now
	}
}

func (g *generation) taskAdded(id string) {
	if id == "" {
		return
	}
	g.mu.Lock()
	g.tasks[id] = true
	g.mu.Unlock()
}

func (g *generation) taskGone(id string) {
	g.mu.Lock()
	delete(g.tasks, id)
	g.idleChangedLocked(time.Now())
	g.mu.Unlock()
}

// retireIfIdle marks the generation retired when it has had no call in
// flight and no task for grace; the caller then stops its process.
func (g *generation) retireIfIdle(now time.Time, grace time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired || g.inflight > 0 || len(g.tasks) > 0 || now.Sub(g.idleSince) < grace {
		return false
	}
	g.retired = true
	return true
}

// retireIdle stops the plugin processes of lazily launched drivers that
// have been idle for the grace. A plugin that died is left to the relaunch
// path of Driver.
func (m *Manager) retireIdle(now time.Time) {
	var stop []Plugin
	m.mu.Lock()
	for name, inst := range m.plugins {
		g := inst.gen
		if g == nil || inst.plugin == nil || inst.plugin.Exited() || !g.retireIfIdle(now, m.cfg.IdleGrace) {
			continue
		}
		m.logger.Info("stopping idle driver plugin; it is launched again when needed", "driver", name, "idle_grace", m.cfg.IdleGrace)
		stop = append(stop, inst.plugin)
		inst.plugin, inst.gen = nil, nil
		if err := m.cfg.Store.DeleteDriverPlugin(name); err != nil {
			m.logger.Warn("cannot forget the reattach config of a stopped plugin", "driver", name, "error", err)
		}
	}
	m.mu.Unlock()
	for _, p := range stop {
		p.Kill()
	}
}

// idleLoop retires idle plugins, checking every IdleGrace/4 (at most every
// second).
func (m *Manager) idleLoop() {
	defer m.wg.Done()
	t := time.NewTicker(min(max(m.cfg.IdleGrace/4, 10*time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-t.C:
			m.retireIdle(now)
		}
	}
}

// currentGen returns inst's live generation, launching (or relaunching)
// its plugin when none runs, entered (the caller must leave it).
func (m *Manager) currentGen(inst *instance) (*generation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.livePluginLocked(inst); err != nil {
		return nil, err
	}
	// retireIdle replaces inst.gen under m.mu, so this one is not retired.
	g := inst.gen
	if !g.enter() {
		return nil, errors.New("driver plugin generation retired under the manager lock (bug)")
	}
	return g, nil
}

// lazyDriver is what Driver returns for a lazily launched driver: a
// drivers.Driver (and Signaler, Execer, ExecStreamer, EventEmitter, as the
// plugin client is) bound to one generation of the plugin.
type lazyDriver struct {
	m    *Manager
	inst *instance

	mu  sync.Mutex
	gen *generation
}

var (
	_ drivers.Driver       = (*lazyDriver)(nil)
	_ drivers.Signaler     = (*lazyDriver)(nil)
	_ drivers.Execer       = (*lazyDriver)(nil)
	_ drivers.ExecStreamer = (*lazyDriver)(nil)
	_ drivers.EventEmitter = (*lazyDriver)(nil)
)

// acquire returns the generation a call goes to, entered: the bound one,
// or the current one (launched when needed) once the bound one retired.
func (d *lazyDriver) acquire() (*generation, error) {
	d.mu.Lock()
	g := d.gen
	d.mu.Unlock()
	if g != nil && g.enter() {
		return g, nil
	}
	g, err := d.m.currentGen(d.inst)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.gen = g
	d.mu.Unlock()
	return g, nil
}
