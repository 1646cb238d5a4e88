package drainer

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Writer writes the drainer's decisions through raft; each call returns
// after commit. The leader's server implements it.
type Writer interface {
	// MarkMigrations merges the allocations' desired transitions and
	// creates the evaluations.
	MarkMigrations(req *state.AllocDesiredTransitionRequest) (uint64, error)
	// CompleteDrain clears a node's drain strategy; the node stays
	// ineligible.
	CompleteDrain(nodeID string) (uint64, error)
}

// Config wires a Drainer.
type Config struct {
	// State returns the current state store (a restore replaces it).
	State func() *state.StateStore
	// Writer writes through raft.
	Writer Writer
	// Now is the time drain deadlines are measured against.
	Now func() time.Time
	// Logger defaults to a null logger.
	Logger hclog.Logger
	// MaxWait bounds a wait for state changes (default 30s).
	MaxWait time.Duration
}

// Drainer moves allocations off draining nodes. Run it on the leader only.
type Drainer struct{ cfg Config }

// New returns a drainer.
func New(cfg Config) *Drainer {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	return &Drainer{cfg: cfg}
}

// Run drains until ctx ends: a pass at every change of nodes or of the
// allocations it looks at, at the nearest drain deadline, and at least
// every MaxWait.
func (d *Drainer) Run(ctx context.Context) {
	for ctx.Err() == nil {
		ws := state.NewWatchSet()
		next, err := d.pass(ws)
		wait := d.cfg.MaxWait
		if err != nil {
			d.cfg.Logger.Warn("drain pass", "error", err)
			wait = min(wait, time.Second) // try again soon
		}
		if !next.IsZero() {
			if w := next.Sub(d.cfg.Now()) + 10*time.Millisecond; w < wait {
				wait = max(w, 10*time.Millisecond)
			}
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		_ = ws.WatchCtx(wctx)
		cancel()
	}
}

// Pass decides and writes once (tests call it directly).
func (d *Drainer) Pass() error {
	_, err := d.pass(nil)
	return err
}

func (d *Drainer) pass(ws state.WatchSet) (time.Time, error) {
	now := d.cfg.Now()
	dec, err := Decide(d.cfg.State(), ws, now)
	if err != nil {
		return time.Time{}, err
	}
	if len(dec.Migrate) > 0 {
		req := migrationRequest(dec.Migrate, now)
		if _, err := d.cfg.Writer.MarkMigrations(req); err != nil {
			return dec.Next, err
		}
		d.cfg.Logger.Info("allocations marked for migration", "count", len(req.Allocs), "evals", len(req.Evals))
	}
	for _, id := range dec.Complete {
		if _, err := d.cfg.Writer.CompleteDrain(id); err != nil {
			return dec.Next, err
		}
		d.cfg.Logger.Info("node drain complete", "node_id", id)
	}
	return dec.Next, nil
}

// migrationRequest marks ms and creates one evaluation per job.
func migrationRequest(ms []Migration, now time.Time) *state.AllocDesiredTransitionRequest {
	req := &state.AllocDesiredTransitionRequest{Allocs: map[string]*nomadlike.DesiredTransition{}}
	seen := map[nomadlike.NamespacedID]bool{}
	for _, m := range ms {
		yes := true
		req.Allocs[m.Alloc.ID] = &nomadlike.DesiredTransition{Migrate: &yes}
		key := nomadlike.NamespacedID{Namespace: m.Alloc.Namespace, ID: m.Alloc.JobID}
		if seen[key] || m.Job == nil {
			continue
		}
		seen[key] = true
		req.Evals = append(req.Evals, &nomadlike.Evaluation{
			ID: nomadlike.GenerateUUID(), Namespace: m.Job.Namespace, Priority: m.Job.Priority, Type: m.Job.Type,
			TriggeredBy: nomadlike.EvalTriggerNodeDrain, JobID: m.Job.ID, JobModifyIndex: m.Job.JobModifyIndex,
			NodeID: m.Alloc.NodeID, Status: nomadlike.EvalStatusPending,
			CreateTime: now.UnixNano(), ModifyTime: now.UnixNano(),
		})
	}
	return req
}
