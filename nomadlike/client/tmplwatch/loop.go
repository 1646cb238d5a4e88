package tmplwatch

import (
	"fmt"
	"strings"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Change modes (Nomad's).
const (
	ChangeModeRestart = "restart"
	ChangeModeSignal  = "signal"
	ChangeModeScript  = "script"
	ChangeModeNoop    = "noop"
)

// EventHookMessage is Nomad's task event type for template messages
// (missing data, change scripts).
const EventHookMessage = "Task hook message"

// Event texts.
const (
	ReasonTemplateRestart = "Template with change_mode restart re-rendered"
	reasonEnvRestart      = "Template with env = true re-rendered"
	msgSignal             = "Template re-rendered"
)

// DefaultScriptTimeout is change_script's timeout when unset (Nomad's).
const DefaultScriptTimeout = 5 * time.Second

func newEvent(typ, msg string) *nomadlike.TaskEvent {
	return &nomadlike.TaskEvent{Type: typ, Time: time.Now().UnixNano(), Message: msg, DisplayMessage: msg, Details: map[string]string{}}
}

// startLoop starts the change loop once, after the first complete render.
func (m *Manager) startLoop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loopOn || m.ctx.Err() != nil {
		return
	}
	m.loopOn = true
	m.wg.Add(1)
	go m.changeLoop()
}

// changeLoop waits for data changes, coalesces them by the templates'
// wait, re-renders, and applies the change modes of what changed.
func (m *Manager) changeLoop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.changeCh:
		}
		if !m.coalesce() {
			return
		}
		changed, err := m.rerender()
		if err != nil {
			m.logger.Error("template re-render failed", "error", err)
			m.cfg.Emit(newEvent(nomadlike.TaskEventTemplateFailed, "Template failed: "+err.Error()))
			continue
		}
		if len(changed) > 0 {
			m.apply(changed)
		}
	}
}

// waitBounds is the coalescing of a task's templates: the largest min and
// max of their wait blocks (0, 0 when none has one).
func (m *Manager) waitBounds() (lo, hi time.Duration) {
	for _, t := range m.cfg.Templates {
		if w := t.Wait; w != nil && !t.Once {
			lo, hi = max(lo, w.Min), max(hi, w.Max)
		}
	}
	if hi > 0 && hi < lo {
		hi = lo
	}
	return lo, hi
}

// coalesce waits until the data has been quiet for the wait's min, but no
// longer than its max after the first change. It reports false on Stop.
func (m *Manager) coalesce() bool {
	lo, hi := m.waitBounds()
	if lo <= 0 {
		return m.ctx.Err() == nil
	}
	var deadline <-chan time.Time
	if hi > 0 {
		deadline = m.cfg.After(hi)
	}
	quiet := m.cfg.After(lo)
	for {
		select {
		case <-m.ctx.Done():
			return false
		case <-quiet:
			return true
		case <-deadline:
			return true
		case <-m.changeCh:
			quiet = m.cfg.After(lo)
		}
	}
}

// rerender renders the templates (but once = true ones) from the watched
// data and writes what changed; it returns the indexes written.
func (m *Manager) rerender() ([]int, error) {
	m.renderMu.Lock()
	defer m.renderMu.Unlock()
	outs, _, err := m.renderAll(false)
	if err != nil {
		return nil, err
	}
	var changed []int
	_, err = m.commit(outs, &changed)
	return changed, err
}

// action is what a set of changed templates asks of the task.
type action struct {
	restart   string // the restart reason; "" for none
	signals   []string
	scripts   []*nomadlike.ChangeScript
	splay     time.Duration
	templates []string
}

// plan decides, from the templates written, what to do: one restart if
// any asks for it (or is an env template), else every distinct signal and
// every script; noop templates do nothing.
func (m *Manager) plan(changed []int) action {
	var a action
	seenSig := map[string]bool{}
	for _, i := range changed {
		t := m.cfg.Templates[i]
		a.templates = append(a.templates, t.DestPath)
		a.splay = max(a.splay, t.Splay)
		switch {
		case t.Envvars:
			a.restart = reasonEnvRestart
		case t.ChangeMode == ChangeModeRestart || t.ChangeMode == "":
			if a.restart == "" {
				a.restart = ReasonTemplateRestart
			}
		case t.ChangeMode == ChangeModeSignal:
			if s := strings.ToUpper(t.ChangeSignal); !seenSig[s] {
				seenSig[s] = true
				a.signals = append(a.signals, t.ChangeSignal)
			}
		case t.ChangeMode == ChangeModeScript && t.ChangeScript != nil:
			a.scripts = append(a.scripts, t.ChangeScript)
		}
	}
	return a
}

// apply waits a random splay, then acts on the task.
func (m *Manager) apply(changed []int) {
	a := m.plan(changed)
	if a.restart == "" && len(a.signals) == 0 && len(a.scripts) == 0 {
		return
	}
	if a.splay > 0 {
		select {
		case <-m.cfg.After(m.splay(a.splay)):
		case <-m.ctx.Done():
			return
		}
	}
	if a.restart != "" {
		if err := m.cfg.Control.Restart(a.restart); err != nil {
			m.logger.Warn("template change: restart", "error", err)
		}
		return
	}
	for _, sig := range a.signals {
		if err := m.cfg.Control.Signal(sig); err != nil {
			m.logger.Warn("template change: signal", "signal", sig, "error", err)
			m.cfg.Emit(newEvent(EventHookMessage, fmt.Sprintf("Template failed to send signal %s: %v", sig, err)))
		}
	}
	for _, s := range a.scripts {
		m.runScript(s)
	}
}

// runScript runs a change_script inside the task. A failure is an event;
// with fail_on_error it also kills the task.
func (m *Manager) runScript(s *nomadlike.ChangeScript) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultScriptTimeout
	}
	cmd := append([]string{s.Command}, s.Args...)
	res, err := m.cfg.Control.Exec(cmd, timeout)
	if err == nil && res != nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit code %d", res.ExitCode)
	}
	if err == nil {
		m.cfg.Emit(newEvent(EventHookMessage, fmt.Sprintf("Template successfully ran script %s with arguments: %v", s.Command, s.Args)))
		return
	}
	msg := fmt.Sprintf("Template failed to run script %s with arguments %v: %v", s.Command, s.Args, err)
	m.logger.Warn("template change script failed", "command", s.Command, "error", err)
	if s.FailOnError {
		ev := newEvent(nomadlike.TaskEventTemplateFailed, msg)
		ev.FailsTask = true
		m.cfg.Control.Kill(ev)
		return
	}
	m.cfg.Emit(newEvent(EventHookMessage, msg))
}

// splay picks a delay in [0, limit) from the manager's seeded source.
func (m *Manager) splay(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Duration(m.rnd.Int64N(int64(limit)))
}
