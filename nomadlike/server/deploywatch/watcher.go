package deploywatch

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Writer writes the watcher's decisions through raft; each call returns
// after commit. The leader's server implements it.
type Writer interface {
	UpdateDeploymentStatus(req *state.DeploymentStatusRequest) (uint64, error)
	PromoteDeployment(req *state.DeploymentPromoteRequest) (uint64, error)
	CreateEvals(evals []*nomadlike.Evaluation) (uint64, error)
}

// Config wires a Watcher.
type Config struct {
	// State returns the current state store (a restore replaces it).
	State func() *state.StateStore
	// Writer writes through raft.
	Writer Writer
	// Now is the time progress deadlines are measured against.
	Now func() time.Time
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// MaxWait bounds a wait for state changes (default 30s): deadlines
	// are also checked this often.
	MaxWait time.Duration
}

// Watcher follows running deployments. Run it on the leader only.
type Watcher struct {
	cfg Config
	// seen is the progress each deployment had at its last evaluation
	// (healthy allocations and promotions); a change creates an evaluation.
	// It lives for one leadership term: a new leader evaluates each running
	// deployment once, which resumes a rollout the old leader left.
	seen map[string]int
}

// New returns a watcher.
func New(cfg Config) *Watcher {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	return &Watcher{cfg: cfg, seen: map[string]int{}}
}

// Run watches until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		ws := state.NewWatchSet()
		next := w.pass(ws)
		wait := w.cfg.MaxWait
		if !next.IsZero() {
			if d := next.Sub(w.cfg.Now()) + 10*time.Millisecond; d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		_ = ws.WatchCtx(wctx)
		cancel()
	}
}

// Pass looks at every running deployment once (tests call it directly).
func (w *Watcher) Pass() { w.pass(nil) }

// pass checks the running deployments, adding what it read to ws, and
// returns the nearest progress deadline (zero: none).
func (w *Watcher) pass(ws state.WatchSet) time.Time {
	st := w.cfg.State()
	deps, err := st.Deployments(ws, state.AllNamespaces, "")
	if err != nil {
		w.cfg.Logger.Warn("read deployments", "error", err)
		return time.Time{}
	}
	var next time.Time
	live := map[string]bool{}
	for _, d := range deps {
		if d.Status != nomadlike.DeploymentStatusRunning {
			continue
		}
		live[d.ID] = true
		by, err := w.check(st, ws, d)
		if err != nil {
			w.cfg.Logger.Warn("watch deployment", "deployment_id", d.ID, "error", err)
			// Try again soon rather than at the next change.
			by = w.cfg.Now().Add(time.Second)
		}
		if !by.IsZero() && (next.IsZero() || by.Before(next)) {
			next = by
		}
	}
	for id := range w.seen {
		if !live[id] {
			delete(w.seen, id)
		}
	}
	return next
}

// groupProgress is what the watcher counts of one group's allocations.
type groupProgress struct {
	healthyCanaries int
}

// check moves one running deployment on and returns its next progress
// deadline.
func (w *Watcher) check(st *state.StateStore, ws state.WatchSet, d *nomadlike.Deployment) (time.Time, error) {
	job, err := st.JobByID(ws, d.Namespace, d.JobID)
	if err != nil || job == nil || !d.ForJob(job) {
		return time.Time{}, err // the scheduler cancels it
	}
	allocs, err := st.AllocsByJob(ws, d.Namespace, d.JobID)
	if err != nil {
		return time.Time{}, err
	}
	now := w.cfg.Now()
	groups := map[string]*groupProgress{}
	for _, name := range d.GroupNames() {
		groups[name] = &groupProgress{}
	}
	for _, a := range allocs {
		if a.DeploymentID != d.ID {
			continue
		}
		if unhealthy(a) {
			return time.Time{}, w.fail(st, d, nomadlike.DeploymentDescFailedAllocations, now)
		}
		if g := groups[a.TaskGroup]; g != nil && a.DeploymentStatus.IsCanary() && a.DeploymentStatus.IsHealthy() && !a.TerminalStatus() {
			g.healthyCanaries++
		}
	}
	var next time.Time
	done := true
	for _, name := range d.GroupNames() {
		g := d.TaskGroups[name]
		if groupDone(g) {
			continue
		}
		done = false
		if g.ProgressDeadline > 0 && !g.RequireProgressBy.IsZero() {
			if now.After(g.RequireProgressBy) {
				return time.Time{}, w.fail(st, d, nomadlike.DeploymentDescProgressDeadline, now)
			}
			if next.IsZero() || g.RequireProgressBy.Before(next) {
				next = g.RequireProgressBy
			}
		}
	}
	if done {
		_, err := w.cfg.Writer.UpdateDeploymentStatus(&state.DeploymentStatusRequest{Update: &nomadlike.DeploymentStatusUpdate{
			DeploymentID: d.ID, Status: nomadlike.DeploymentStatusSuccessful, StatusDescription: nomadlike.DeploymentDescSuccessful,
		}})
		return time.Time{}, err
	}
	if d.RequiresPromotion() && d.HasAutoPromote() && canariesHealthy(d, groups) {
		_, err := w.cfg.Writer.PromoteDeployment(&state.DeploymentPromoteRequest{DeploymentID: d.ID, All: true, Eval: NewEval(job, now)})
		return next, err
	}
	return next, w.evalOnProgress(d, job, now)
}

// evalOnProgress creates an evaluation of the job when the deployment made
// progress since the last one (or was not seen yet in this term).
func (w *Watcher) evalOnProgress(d *nomadlike.Deployment, job *nomadlike.Job, now time.Time) error {
	progress := 0
	for _, g := range d.TaskGroups {
		progress += g.HealthyAllocs + g.PlacedAllocs*1000
		if g.Promoted {
			progress += 1 << 30
		}
	}
	if last, ok := w.seen[d.ID]; ok && last == progress {
		return nil
	}
	if _, err := w.cfg.Writer.CreateEvals([]*nomadlike.Evaluation{NewEval(job, now)}); err != nil {
		return err
	}
	w.seen[d.ID] = progress
	return nil
}

func (w *Watcher) fail(st *state.StateStore, d *nomadlike.Deployment, desc string, now time.Time) error {
	req, err := FailRequest(st, d, desc, true, now)
	if err != nil {
		return err
	}
	w.cfg.Logger.Info("deployment failed", "deployment_id", d.ID, "job", d.JobID, "reason", req.Update.StatusDescription)
	_, err = w.cfg.Writer.UpdateDeploymentStatus(req)
	return err
}

// unhealthy reports whether an allocation fails its deployment: its
// client says so, or it failed before it was ever healthy.
func unhealthy(a *nomadlike.Allocation) bool {
	if a.DeploymentStatus.IsUnhealthy() {
		return true
	}
	return a.ClientStatus == nomadlike.AllocClientStatusFailed && !a.DeploymentStatus.IsHealthy()
}

// groupDone reports whether a group reached its desired healthy total,
// with its canaries promoted.
func groupDone(g *nomadlike.DeploymentState) bool {
	return g.HealthyAllocs >= g.DesiredTotal && (g.DesiredCanaries == 0 || g.Promoted)
}

func canariesHealthy(d *nomadlike.Deployment, groups map[string]*groupProgress) bool {
	for name, g := range d.TaskGroups {
		if g.DesiredCanaries > 0 && !g.Promoted && groups[name].healthyCanaries < g.DesiredCanaries {
			return false
		}
	}
	return true
}
