package drainer

import (
	"sort"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
	"github.com/nomadlike/nomadlike/nomadlike/state"
)

// Reader is what Decide reads; *state.StateStore implements it. Every
// read adds to ws (nil: no watch).
type Reader interface {
	Nodes(ws state.WatchSet, prefix string) ([]*nomadlike.Node, error)
	AllocsByNode(ws state.WatchSet, nodeID string) ([]*nomadlike.Allocation, error)
	AllocsByJob(ws state.WatchSet, ns, jobID string) ([]*nomadlike.Allocation, error)
	JobByID(ws state.WatchSet, ns, id string) (*nomadlike.Job, error)
}

// Migration is an allocation to mark for migration with the job whose
// evaluation acts on it.
type Migration struct {
	Alloc *nomadlike.Allocation
	Job   *nomadlike.Job
}

// Decision is what the drainer should do now.
type Decision struct {
	// Migrate are the allocations to mark, in a stable order.
	Migrate []Migration
	// Complete are the nodes whose drain is finished.
	Complete []string
	// Next is the nearest future drain deadline (zero: none): the drainer
	// must look again then even if nothing changes.
	Next time.Time
}

// Decide looks at every draining node at now.
func Decide(r Reader, ws state.WatchSet, now time.Time) (*Decision, error) {
	nodes, err := r.Nodes(ws, "")
	if err != nil {
		return nil, err
	}
	d := &Decision{}
	draining := map[string]*nomadlike.Node{}
	for _, n := range nodes {
		if n.DrainStrategy != nil {
			draining[n.ID] = n
		}
	}
	jobs := &jobCache{r: r, ws: ws, byID: map[nomadlike.NamespacedID]*nomadlike.Job{}}
	services := map[nomadlike.NamespacedID]bool{}
	for _, n := range sortedNodes(draining) {
		if err := decideNode(d, n, r, ws, jobs, services, now); err != nil {
			return nil, err
		}
	}
	for _, key := range sortedKeys(services) {
		job, err := jobs.get(key.Namespace, key.ID, nil)
		if err != nil {
			return nil, err
		}
		if job == nil || job.Stop {
			continue // the scheduler stops its allocations
		}
		allocs, err := r.AllocsByJob(ws, key.Namespace, key.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range serviceMigrations(job, allocs, draining) {
			d.Migrate = append(d.Migrate, Migration{Alloc: a, Job: job})
		}
	}
	d.Migrate = dedupe(d.Migrate)
	return d, nil
}

// decideNode handles one draining node: its deadline, its system
// allocations once nothing else is left, its completion; the service jobs
// with allocations on it are added to services for serviceMigrations.
func decideNode(d *Decision, n *nomadlike.Node, r Reader, ws state.WatchSet, jobs *jobCache,
	services map[nomadlike.NamespacedID]bool, now time.Time) error {
	allocs, err := r.AllocsByNode(ws, n.ID)
	if err != nil {
		return err
	}
	ds := n.DrainStrategy
	var others, system []*nomadlike.Allocation
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		job, err := jobs.get(a.Namespace, a.JobID, a.Job)
		if err != nil {
			return err
		}
		switch jobType(job) {
		case nomadlike.JobTypeSystem:
			if !ds.IgnoreSystemJobs {
				system = append(system, a)
			}
		case nomadlike.JobTypeService:
			others = append(others, a)
			services[nomadlike.NamespacedID{Namespace: a.Namespace, ID: a.JobID}] = true
		default: // batch and sysbatch: left to finish until the deadline
			others = append(others, a)
		}
	}
	switch {
	case len(others)+len(system) == 0:
		d.Complete = append(d.Complete, n.ID)
		return nil
	case !ds.ForceDeadline.IsZero() && !ds.ForceDeadline.After(now):
		// The deadline passed: everything left goes at once.
		for _, a := range append(others, system...) {
			if !marked(a) {
				job, _ := jobs.get(a.Namespace, a.JobID, a.Job)
				d.Migrate = append(d.Migrate, Migration{Alloc: a, Job: job})
			}
		}
		return nil
	case !ds.ForceDeadline.IsZero():
		if d.Next.IsZero() || ds.ForceDeadline.Before(d.Next) {
			d.Next = ds.ForceDeadline
		}
	}
	if len(others) == 0 {
		// System allocations are drained last.
		for _, a := range system {
			if !marked(a) {
				job, _ := jobs.get(a.Namespace, a.JobID, a.Job)
				d.Migrate = append(d.Migrate, Migration{Alloc: a, Job: job})
			}
		}
	}
	return nil
}

// serviceMigrations returns the allocations of a service job to mark now:
// per group, as Nomad's drainer, as many as keep count - max_parallel
// allocations with a health verdict that are not moving. An allocation
// on a draining node that is already marked counts as moving; its
// replacement counts once its client has decided its health.
func serviceMigrations(job *nomadlike.Job, allocs []*nomadlike.Allocation, draining map[string]*nomadlike.Node) []*nomadlike.Allocation {
	byGroup := map[string][]*nomadlike.Allocation{}
	for _, a := range allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}
	var out []*nomadlike.Allocation
	for _, tg := range job.TaskGroups {
		healthy := 0
		var drainable []*nomadlike.Allocation
		for _, a := range byGroup[tg.Name] {
			if a.TerminalStatus() || marked(a) {
				continue
			}
			if a.DeploymentStatus != nil && a.DeploymentStatus.Healthy != nil {
				healthy++
			}
			if draining[a.NodeID] != nil {
				drainable = append(drainable, a)
			}
		}
		n := min(healthy-(tg.Count-nomadlike.MigrateOf(tg).MaxParallel), len(drainable))
		if n <= 0 {
			continue
		}
		sort.Slice(drainable, func(i, j int) bool {
			if drainable[i].Name != drainable[j].Name {
				return drainable[i].Name < drainable[j].Name
			}
			return drainable[i].ID < drainable[j].ID
		})
		out = append(out, drainable[:n]...)
	}
	return out
}

// dedupe keeps the first Migration of each allocation (one on a node past
// its deadline may also be paced as part of its job).
func dedupe(ms []Migration) []Migration {
	seen := map[string]bool{}
	out := ms[:0]
	for _, m := range ms {
		if !seen[m.Alloc.ID] {
			seen[m.Alloc.ID] = true
			out = append(out, m)
		}
	}
	return out
}

func marked(a *nomadlike.Allocation) bool {
	return a.DesiredTransition.Migrate != nil && *a.DesiredTransition.Migrate
}

func jobType(j *nomadlike.Job) string {
	if j == nil {
		return ""
	}
	return j.Type
}

// jobCache reads each job once per pass; fallback is used when the job is
// gone (the allocation's own copy).
type jobCache struct {
	r    Reader
	ws   state.WatchSet
	byID map[nomadlike.NamespacedID]*nomadlike.Job
}

func (c *jobCache) get(ns, id string, fallback *nomadlike.Job) (*nomadlike.Job, error) {
	key := nomadlike.NamespacedID{Namespace: ns, ID: id}
	if j, ok := c.byID[key]; ok {
		if j == nil {
			return fallback, nil
		}
		return j, nil
	}
	j, err := c.r.JobByID(c.ws, ns, id)
	if err != nil {
		return nil, err
	}
	c.byID[key] = j
	if j == nil {
		return fallback, nil
	}
	return j, nil
}

func sortedNodes(m map[string]*nomadlike.Node) []*nomadlike.Node {
	out := make([]*nomadlike.Node, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func sortedKeys(m map[nomadlike.NamespacedID]bool) []nomadlike.NamespacedID {
	out := make([]nomadlike.NamespacedID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].ID < out[j].ID
	})
	return out
}
