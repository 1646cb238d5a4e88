package autoscaler

import (
	"context"
	"fmt"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Scaler scales a job's group (server.Server.ScaleJob: the same checks as
// `job scale`, min and max included, and a scaling event).
type Scaler interface {
	ScaleJob(ns, jobID string, req nomadlike.ScaleRequest) (evalID string, index uint64, warnings string, err error)
}

// Config is what the autoscaler needs.
type Config struct {
	State  func() *state.StateStore
	Scaler Scaler
	Usage  *Usage
	Now    func() time.Time
	Logger hclog.Logger
	// Tick is how often policies are looked at; each policy is evaluated
	// at most once per its evaluation_interval. Default one second.
	Tick time.Duration
}

// Autoscaler runs the enabled group policies. Run it on the leader only.
type Autoscaler struct {
	cfg  Config
	last map[string]time.Time // policy ID -> last evaluation
	// targets are the enabled policies of the jobs table at jobsIndex:
	// read again only when the table changed, so that an idle tick costs
	// one index read, not a walk of every job.
	targets   []target
	jobsIndex uint64
}

// target is one enabled group policy.
type target struct {
	id     string
	job    *nomadlike.Job
	group  *nomadlike.TaskGroup
	policy *nomadlike.AutoscalePolicy
}

// New returns an autoscaler; Run starts it.
func New(cfg Config) *Autoscaler {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Autoscaler{cfg: cfg, last: map[string]time.Time{}}
}

// Run evaluates the due policies every Tick until ctx ends.
func (a *Autoscaler) Run(ctx context.Context) {
	t := time.NewTicker(a.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.Tick()
		}
	}
}

// Tick evaluates every policy whose evaluation_interval has passed.
func (a *Autoscaler) Tick() {
	now := a.cfg.Now()
	a.cfg.Usage.Prune(now)
	st := a.cfg.State()
	if err := a.refresh(st); err != nil {
		a.cfg.Logger.Warn("autoscaler: read jobs", "error", err)
		return
	}
	for _, t := range a.targets {
		if last, ok := a.last[t.id]; ok && now.Sub(last) < t.policy.EvaluationInterval {
			continue
		}
		a.last[t.id] = now
		a.evaluate(st, t.job, t.group, t.policy, now)
	}
}

// refresh reads the enabled policies again when the jobs table changed.
func (a *Autoscaler) refresh(st *state.StateStore) error {
	idx, err := st.Index(state.TableJobs)
	if err != nil {
		return err
	}
	if idx == a.jobsIndex && a.targets != nil {
		return nil
	}
	jobs, err := st.Jobs(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	targets := []target{}
	seen := map[string]bool{}
	for _, job := range jobs {
		if job.Stop || job.IsPeriodic() || job.IsParameterized() {
			continue
		}
		for _, tg := range job.TaskGroups {
			if !tg.Scaling.IsEnabled() || len(tg.Scaling.Policy) == 0 || tg.Scaling.Max == nil {
				continue
			}
			pol, errs := nomadlike.ParseAutoscalePolicy(tg.Scaling.Policy)
			if len(errs) > 0 { // refused at submission; an older job may still have one
				continue
			}
			id := nomadlike.ScalingPolicyID(job.Namespace, job.ID, tg.Name)
			seen[id] = true
			targets = append(targets, target{id: id, job: job, group: tg, policy: pol})
		}
	}
	for id := range a.last {
		if !seen[id] {
			delete(a.last, id)
		}
	}
	a.targets, a.jobsIndex = targets, idx
	return nil
}

// evaluate runs one policy and scales the group when it decides to.
func (a *Autoscaler) evaluate(st *state.StateStore, job *nomadlike.Job, tg *nomadlike.TaskGroup, pol *nomadlike.AutoscalePolicy, now time.Time) {
	log := a.cfg.Logger.With("namespace", job.Namespace, "job", job.ID, "group", tg.Name)
	if a.coolingDown(st, job, tg.Name, pol.Cooldown, now) {
		return
	}
	metrics, err := a.metrics(st, job, tg.Name, now)
	if err != nil {
		log.Warn("autoscaler: read allocations", "error", err)
		return
	}
	values, errs := make([]float64, len(pol.Checks)), make([]error, len(pol.Checks))
	for i, c := range pol.Checks {
		values[i], errs[i] = Value(c, metrics)
	}
	current := int64(tg.Count)
	minCount := int64(0)
	if tg.Scaling.Min != nil {
		minCount = *tg.Scaling.Min
	}
	d, err := Decide(pol, current, minCount, *tg.Scaling.Max, values, errs)
	if err != nil {
		log.Debug("autoscaler: no decision", "error", err)
		return
	}
	if d.Count == current {
		return
	}
	dir := "up"
	if d.Count < current {
		dir = "down"
	}
	msg := fmt.Sprintf("scaling %s from %d to %d: %s", dir, current, d.Count, d.Reason)
	count := d.Count
	_, _, _, err = a.cfg.Scaler.ScaleJob(job.Namespace, job.ID, nomadlike.ScaleRequest{
		Group: tg.Name, Count: &count, Message: msg, JobModifyIndex: job.JobModifyIndex,
		Meta: map[string]any{"nomadlike.autoscaler": true, "nomad_policy_id": tg.Scaling.ID},
	})
	if err != nil {
		log.Warn("autoscaler: scale", "count", count, "error", err)
		return
	}
	log.Info("autoscaler: "+msg, "count", count)
}

// coolingDown reports whether the group's last count change (by the
// autoscaler or `job scale`) is within cooldown.
func (a *Autoscaler) coolingDown(st *state.StateStore, job *nomadlike.Job, group string, cooldown time.Duration, now time.Time) bool {
	evs, err := st.ScalingEventsByJob(nil, job.Namespace, job.ID)
	if err != nil || evs == nil {
		return false
	}
	for _, ev := range evs.ScalingEvents[group] { // newest first
		if ev.Count != nil {
			return now.Sub(time.Unix(0, int64(ev.Time))) < cooldown
		}
	}
	return false
}

// metrics returns the running allocations of the group that have a recent
// usage sample, with what each was allocated.
func (a *Autoscaler) metrics(st *state.StateStore, job *nomadlike.Job, group string, now time.Time) ([]AllocMetric, error) {
	allocs, err := st.AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, err
	}
	var out []AllocMetric
	for _, al := range allocs {
		if al.TaskGroup != group || al.TerminalStatus() || al.ClientStatus != nomadlike.AllocClientStatusRunning {
			continue
		}
		u, ok := a.cfg.Usage.Get(now, al.ID)
		if !ok {
			continue
		}
		m := AllocMetric{Usage: u}
		src := job
		if al.Job != nil {
			src = al.Job
		}
		if tg := src.LookupTaskGroup(group); tg != nil {
			for _, t := range tg.Tasks {
				if t.Resources != nil {
					m.CPUMHz += float64(t.Resources.CPU)
					m.MemoryMB += float64(t.Resources.MemoryMB)
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}
