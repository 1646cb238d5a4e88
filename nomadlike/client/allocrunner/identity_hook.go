package allocrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/client/allocdir"
	"github.com/nomadlike/nomadlike/nomadlike/client/identity"
)

// IdentityFetcher returns freshly signed workload identities of an
// allocation (task name → token): the client fetches the allocation again
// as its node, and the servers sign on every fetch. Nil: no renewal.
type IdentityFetcher func(ctx context.Context, allocID string) (map[string]string, error)

// errNoIdentity is a renewal answer without a token for the task (the
// allocation stopped, or ACLs were turned off).
var errNoIdentity = errors.New("the servers signed no identity for the task")

// ReasonIdentityRenewed is the restart reason of change_mode restart.
const ReasonIdentityRenewed = "workload identity renewed"

// identityHook hands the task its workload identity (package identity):
// the file and NOMAD_TOKEN its identity block asks for, on every start.
// For a token with a ttl it keeps renewing it while the task runner lives
// (identity.Renewer), rewrites the file and applies change_mode. It holds
// the freshest token, which the task's template queries use too. One per
// task runner.
type identityHook struct {
	fetch  IdentityFetcher
	logger hclog.Logger

	mu     sync.Mutex
	tok    string
	task   *nomadlike.Task
	ad     *allocdir.AllocDir
	runner *TaskRunner
	cancel context.CancelFunc // the renewal loop, nil before it starts
}

func newIdentityHook(fetch IdentityFetcher, logger hclog.Logger) *identityHook {
	return &identityHook{fetch: fetch, logger: logger}
}

func (*identityHook) Name() string { return "identity" }

// current is the freshest token known ("" before the first start).
func (h *identityHook) current() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tok
}

// take records the request's task and keeps the allocation's token when
// it expires later than the one held (a fetch after a renewal signs anew).
func (h *identityHook) take(req *TaskPrestartRequest) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if tok := identity.Token(req.Alloc, req.Task.Name); tok != "" && (h.tok == "" || identity.Newer(tok, h.tok)) {
		h.tok = tok
	}
	h.task, h.ad, h.runner = req.Task, req.AllocDir, req.Runner
	return h.tok
}

func (h *identityHook) Prestart(_ context.Context, req *TaskPrestartRequest, resp *TaskPrestartResponse) error {
	env, err := identity.ApplyToken(req.AllocDir, req.Task, h.take(req))
	if err != nil {
		ev := newEvent(nomadlike.TaskEventSetupFailure, fmt.Sprintf("workload identity: %v", err))
		return &HookError{Event: ev, Recoverable: true, Err: err}
	}
	resp.Env = env
	h.startRenewal(req.Alloc.ID, req.Task)
	return nil
}

// Recover renews again for a task the agent reattached to.
func (h *identityHook) Recover(_ context.Context, req *TaskPrestartRequest) {
	h.take(req)
	h.startRenewal(req.Alloc.ID, req.Task)
}

func (h *identityHook) Stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel != nil {
		h.cancel()
	}
}

// startRenewal starts the renewal loop once, for a task whose identity
// block the task sees (a token without exp ends the loop at once).
func (h *identityHook) startRenewal(allocID string, t *nomadlike.Task) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel != nil || h.fetch == nil || t.Identity == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	task := t.Name
	r := &identity.Renewer{
		Current: h.current,
		Fetch: func(ctx context.Context) (string, error) {
			ids, err := h.fetch(ctx, allocID)
			if err != nil {
				return "", err
			}
			if ids[task] == "" {
				return "", errNoIdentity
			}
			return ids[task], nil
		},
		Renewed: h.renewed,
		Logger:  h.logger,
	}
	go r.Run(ctx)
}

// renewed installs a renewed token: the file, then change_mode on the
// running task (a task that is not running picks the token up at its next
// start).
func (h *identityHook) renewed(tok string) error {
	h.mu.Lock()
	h.tok = tok
	task, ad, runner := h.task, h.ad, h.runner
	h.mu.Unlock()
	if err := identity.WriteFile(ad, task, tok); err != nil {
		return err
	}
	if runner == nil || task.Identity == nil {
		return nil
	}
	var err error
	switch task.Identity.ChangeMode {
	case nomadlike.IdentityChangeRestart:
		err = runner.RestartFor(ReasonIdentityRenewed)
	case nomadlike.IdentityChangeSignal:
		err = runner.Signal(task.Identity.ChangeSignal)
	}
	if errors.Is(err, ErrTaskNotRunning) {
		return nil
	}
	return err
}
