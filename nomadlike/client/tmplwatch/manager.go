package tmplwatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/drivers"
	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/render"
	"github.com/nomadlike/nomadlike/nomadlike/client/taskenv"
	"github.com/nomadlike/nomadlike/nomadlike/internal/ctxsleep"
)

// Sentinel errors.
var (
	// ErrNoSource is returned when a template reads Nomad data and the
	// agent has no servers to read it from.
	ErrNoSource = errors.New("templates that read Nomad data need a server connection")
	// ErrStopped is returned by Render after Stop.
	ErrStopped = errors.New("template manager stopped")
)

// TaskControl is what a change_mode acts on: the task runner.
type TaskControl interface {
	// Restart stops the task and starts it again (prestart renders anew).
	Restart(reason string) error
	// Signal sends a signal by name to the running task.
	Signal(sig string) error
	// Exec runs a command inside the running task.
	Exec(cmd []string, timeout time.Duration) (*drivers.ExecResult, error)
	// Kill stops the task for good with the event as cause.
	Kill(cause *nomadlike.TaskEvent)
}

// Config configures a Manager.
type Config struct {
	Templates []*nomadlike.Template
	AllocDir  *allocdir.AllocDir
	TaskDir   string // the task's host directory
	// Namespace is used by queries without "@namespace" (the alloc's).
	Namespace string
	// Source reads the data; nil makes templates that read data fail.
	Source Source
	// Token returns the token of the next request: the task's workload
	// identity when it has one, else the node's SecretID.
	Token func() string
	// Control and Emit reach the task runner.
	Control TaskControl
	Emit    func(*nomadlike.TaskEvent)
	Logger  hclog.Logger
	// Seed seeds the splay's random source (tests); 0 picks one.
	Seed uint64
	// After makes the timers of wait and splay (tests); default time.After.
	After func(time.Duration) <-chan time.Time
	// RetryMin and RetryMax bound the backoff after a failed query
	// (250ms, 1m: Nomad's client template nomad_retry).
	RetryMin, RetryMax time.Duration
}

// Manager renders and watches the templates of one task. Render is called
// before every start of the task; Stop when the task runner ends. Safe for
// concurrent use.
type Manager struct {
	cfg    Config
	logger hclog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	changeCh chan struct{} // a watched value changed

	mu       sync.Mutex
	values   map[render.Dep]any
	watching map[render.Dep]bool
	failures map[render.Dep]error
	env      *taskenv.Env
	prepared []*render.Prepared
	last     [][]byte // last content written, per template
	rendered bool     // the first complete render happened
	loopOn   bool
	rnd      *rand.Rand

	renderMu sync.Mutex // one render at a time (prestart vs. the change loop)
}

// New returns a manager; nothing runs until the first Render.
func New(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Emit == nil {
		cfg.Emit = func(*nomadlike.TaskEvent) {}
	}
	if cfg.Token == nil {
		cfg.Token = func() string { return "" }
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 250 * time.Millisecond
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Minute
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	m := &Manager{
		cfg: cfg, logger: cfg.Logger.Named("template"),
		changeCh: make(chan struct{}, 1),
		values:   map[render.Dep]any{}, watching: map[render.Dep]bool{}, failures: map[render.Dep]error{},
		last: make([][]byte, len(cfg.Templates)),
		rnd:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Stop ends every watch and the change loop, and waits for them.
func (m *Manager) Stop() {
	m.cancel()
	m.wg.Wait()
}

// Lookup implements render.Data.
func (m *Manager) Lookup(d render.Dep) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[d]
	return v, ok
}

// Render renders every template for a (re)start of the task with env and
// returns the environment of the env = true templates. The first call
// blocks until all the data the templates read is known (or ctx ends),
// emitting a "Missing: ..." event while some is not; later calls render
// from the watched data. Destinations are written only when their content
// changed.
func (m *Manager) Render(ctx context.Context, env *taskenv.Env) (map[string]string, error) {
	m.renderMu.Lock()
	defer m.renderMu.Unlock()
	if err := m.prepare(env); err != nil {
		return nil, err
	}
	var lastMissing string
	for {
		outs, missing, err := m.renderAll(true)
		if err != nil {
			return nil, err
		}
		if len(missing) == 0 {
			env, err := m.commit(outs, nil)
			if err == nil {
				m.startLoop()
			}
			return env, err
		}
		if s := m.missingMessage(missing); s != lastMissing {
			lastMissing = s
			m.cfg.Emit(newEvent(EventHookMessage, s))
		}
		select {
		case <-m.changeCh:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.ctx.Done():
			return nil, ErrStopped
		}
	}
}

// prepare reads the templates' sources and resolves their destinations
// with env (the task's environment of this start).
func (m *Manager) prepare(env *taskenv.Env) error {
	if m.ctx.Err() != nil {
		return ErrStopped
	}
	ps := make([]*render.Prepared, len(m.cfg.Templates))
	for i, t := range m.cfg.Templates {
		p, err := render.Prepare(t, env, m.cfg.AllocDir, m.cfg.TaskDir)
		if err != nil {
			return &TemplateError{Dest: t.DestPath, Err: err}
		}
		ps[i] = p
	}
	m.mu.Lock()
	m.env, m.prepared = env, ps
	m.mu.Unlock()
	return nil
}

// TemplateError is a template that cannot be rendered (bad source,
// destination, syntax or query): the task fails.
type TemplateError struct {
	Dest string
	Err  error
}

func (e *TemplateError) Error() string { return fmt.Sprintf("%s: %v", e.Dest, e.Err) }
func (e *TemplateError) Unwrap() error { return e.Err }

// renderAll executes every template (once = true ones only until their
// first complete render unless all is set) and starts watches for the data
// they read. It returns the outputs (nil for a template skipped) and the
// data still missing.
func (m *Manager) renderAll(all bool) ([]*render.Output, []render.Dep, error) {
	m.mu.Lock()
	ps, rendered := m.prepared, m.rendered
	m.mu.Unlock()
	outs := make([]*render.Output, len(ps))
	var missing []render.Dep
	for i, p := range ps {
		if p.Tmpl.Once && rendered && !all {
			continue
		}
		out, err := p.Execute(m, m.cfg.Namespace)
		if err != nil {
			return nil, nil, &TemplateError{Dest: p.Tmpl.DestPath, Err: err}
		}
		if len(out.Deps) > 0 && m.cfg.Source == nil {
			return nil, nil, &TemplateError{Dest: p.Tmpl.DestPath, Err: ErrNoSource}
		}
		for _, d := range out.Deps {
			m.watch(d)
		}
		missing = append(missing, out.Missing...)
		outs[i] = out
	}
	return outs, missing, nil
}

// commit writes the outputs whose content changed and returns the env of
// the env templates; changed, when not nil, gets the indexes written.
func (m *Manager) commit(outs []*render.Output, changed *[]int) (map[string]string, error) {
	m.mu.Lock()
	ps := m.prepared
	m.mu.Unlock()
	env := map[string]string{}
	for i, out := range outs {
		p := ps[i]
		if out != nil && len(out.Missing) == 0 && (m.last[i] == nil || !bytes.Equal(out.Content, m.last[i])) {
			if _, err := p.Write(out.Content); err != nil {
				return nil, &TemplateError{Dest: p.Tmpl.DestPath, Err: err}
			}
			m.last[i] = out.Content
			if changed != nil {
				*changed = append(*changed, i)
			}
		}
		if p.Tmpl.Envvars && m.last[i] != nil {
			res, err := p.Result(m.last[i])
			if err != nil {
				return nil, &TemplateError{Dest: p.Tmpl.DestPath, Err: err}
			}
			for k, v := range res.Env {
				env[k] = v
			}
		}
	}
	m.mu.Lock()
	m.rendered = true
	m.mu.Unlock()
	return env, nil
}

// watch starts the watch of d unless it runs already.
func (m *Manager) watch(d render.Dep) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.watching[d] || m.ctx.Err() != nil {
		return
	}
	m.watching[d] = true
	m.wg.Add(1)
	go m.watchLoop(d)
}

// Watching returns the dependencies being watched, sorted by name.
func (m *Manager) Watching() []render.Dep {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]render.Dep, 0, len(m.watching))
	for d := range m.watching {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// watchLoop follows d with blocking queries until Stop, storing each new
// value and signalling the change.
func (m *Manager) watchLoop(d render.Dep) {
	defer m.wg.Done()
	var cur Cursor
	backoff := time.Duration(0)
	for m.ctx.Err() == nil {
		v, nxt, err := m.cfg.Source.Fetch(m.ctx, d, m.cfg.Token(), cur)
		if m.ctx.Err() != nil {
			return
		}
		if err != nil {
			backoff = min(max(backoff*2, m.cfg.RetryMin), m.cfg.RetryMax)
			m.logger.Warn("template data query failed, retrying", "dependency", d.String(), "error", err, "backoff", backoff)
			m.mu.Lock()
			_, failing := m.failures[d]
			m.failures[d] = err
			m.mu.Unlock()
			if !failing {
				m.notify()
			}
			if !ctxsleep.Sleep(m.ctx, backoff) {
				return
			}
			continue
		}
		backoff = 0
		m.mu.Lock()
		delete(m.failures, d)
		old, known := m.values[d]
		changed := !known || !reflect.DeepEqual(old, v)
		if changed {
			m.values[d] = v
		}
		m.mu.Unlock()
		if changed {
			m.logger.Debug("template data changed", "dependency", d.String())
			m.notify()
		}
		if nxt.Index == cur.Index && nxt.Absent == cur.Absent && !changed && !ctxsleep.Sleep(m.ctx, m.cfg.RetryMin) {
			// An answer that neither changed nor moved the index: a
			// server that does not block. Do not spin.
			return
		}
		cur = nxt
	}
}

func (m *Manager) notify() {
	select {
	case m.changeCh <- struct{}{}:
	default:
	}
}

// missingMessage is Nomad's event text for data a render waits for; a
// dependency whose query fails says why (the server's error, never data).
func (m *Manager) missingMessage(missing []render.Dep) string {
	names := make([]string, 0, len(missing))
	seen := map[string]bool{}
	m.mu.Lock()
	for _, d := range missing {
		s := d.String()
		if err := m.failures[d]; err != nil {
			s += " (" + err.Error() + ")"
		}
		if !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	m.mu.Unlock()
	sort.Strings(names)
	const show = 3
	if len(names) > show {
		return fmt.Sprintf("Missing: %s, and %d more", strings.Join(names[:show], ", "), len(names)-show)
	}
	return "Missing: " + strings.Join(names, ", ")
}
