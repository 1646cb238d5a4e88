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
	"github.com/nomadlike/nomadlike/nomadlike/client/tmplwatch"
)

// TemplateConfig is what templates need from the client agent.
type TemplateConfig struct {
	// Source reads Nomad data (variables, services); nil: templates that
	// read it fail.
	Source tmplwatch.Source
	// Token returns the token a task's template queries carry: its
	// workload identity when it has one, else the node's SecretID.
	Token func(ad *allocdir.AllocDir, alloc *nomadlike.Allocation, task string) string
	// Seed seeds the splay (tests); 0 picks one.
	Seed uint64
}

// templateHook renders the task's templates before every start and keeps
// them following their data while the task runs (package tmplwatch). One
// per task runner.
type templateHook struct {
	cfg    TemplateConfig
	logger hclog.Logger
	// identity is the task's freshest workload identity (renewed by the
	// identity hook), "" when none: queries then use cfg.Token.
	identity func() string

	mu  sync.Mutex
	mgr *tmplwatch.Manager
}

func newTemplateHook(cfg TemplateConfig, logger hclog.Logger, identity func() string) *templateHook {
	return &templateHook{cfg: cfg, logger: logger, identity: identity}
}

func (*templateHook) Name() string { return "templates" }

func (h *templateHook) manager(req *TaskPrestartRequest) *tmplwatch.Manager {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mgr == nil {
		alloc, task, dir, ad := req.Alloc, req.Task.Name, req.TaskDir.Dir, req.AllocDir
		token := func() string {
			if h.identity != nil {
				if tok := h.identity(); tok != "" {
					return tok
				}
			}
			if h.cfg.Token == nil {
				return ""
			}
			return h.cfg.Token(ad, alloc, task)
		}
		var ctl tmplwatch.TaskControl = noControl{}
		if req.Runner != nil {
			ctl = taskControl{req.Runner}
		}
		h.mgr = tmplwatch.New(tmplwatch.Config{
			Templates: req.Task.Templates, AllocDir: req.AllocDir, TaskDir: dir,
			Namespace: alloc.Namespace, Source: h.cfg.Source, Token: token,
			Control: ctl, Emit: req.Emit, Logger: h.logger, Seed: h.cfg.Seed,
		})
	}
	return h.mgr
}

func (h *templateHook) Prestart(ctx context.Context, req *TaskPrestartRequest, resp *TaskPrestartResponse) error {
	if len(req.Task.Templates) == 0 {
		return nil
	}
	env, err := h.manager(req).Render(ctx, req.Env)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, tmplwatch.ErrStopped) {
			return err
		}
		ev := newEvent(nomadlike.TaskEventTemplateFailed, fmt.Sprintf("Template failed: %v", err))
		ev.FailsTask = true
		return &HookError{Event: ev, Err: err}
	}
	if len(env) > 0 {
		resp.Env = env
	}
	return nil
}

// Recover starts watching again for a task the agent reattached to; the
// first render runs in the background since the task already runs.
func (h *templateHook) Recover(ctx context.Context, req *TaskPrestartRequest) {
	if len(req.Task.Templates) == 0 {
		return
	}
	m := h.manager(req)
	go func() {
		if _, err := m.Render(ctx, req.Env); err != nil && ctx.Err() == nil && !errors.Is(err, tmplwatch.ErrStopped) {
			h.logger.Warn("render templates of a recovered task", "error", err)
		}
	}()
}

func (h *templateHook) Stop() {
	h.mu.Lock()
	m := h.mgr
	h.mu.Unlock()
	if m != nil {
		m.Stop()
	}
}

// taskControl lets change modes act on the task runner.
type taskControl struct{ tr *TaskRunner }

func (c taskControl) Restart(reason string) error { return c.tr.RestartFor(reason) }
func (c taskControl) Signal(sig string) error     { return c.tr.Signal(sig) }
func (c taskControl) Exec(cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	return c.tr.Exec(cmd, timeout)
}
func (c taskControl) Kill(cause *nomadlike.TaskEvent) { c.tr.Kill(cause) }

// noControl is used by hooks run without a runner (tests).
type noControl struct{}

func (noControl) Restart(string) error { return ErrTaskNotRunning }
func (noControl) Signal(string) error  { return ErrTaskNotRunning }
func (noControl) Exec([]string, time.Duration) (*drivers.ExecResult, error) {
	return nil, ErrTaskNotRunning
}
func (noControl) Kill(*nomadlike.TaskEvent) {}
