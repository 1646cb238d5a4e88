package reconcile

import (
	"sort"
	"time"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// Kinds of placements.
const (
	KindNew         = "new"         // a missing index is filled
	KindDestructive = "destructive" // replaces an allocation of an older job version
	KindMigrate     = "migrate"     // replaces an allocation marked for migration (node drains)
	KindLost        = "lost"        // replaces an allocation on a down node
	KindReschedule  = "reschedule"  // replaces a failed allocation
)

// Stop descriptions; they reach the user as the allocation's DesiredDescription.
const (
	StopJobStopped   = "alloc not needed since the job is stopped"
	StopGroupRemoved = "alloc not needed since its task group was removed"
	StopNotNeeded    = "alloc not needed due to job update"
	StopUpdated      = "alloc is being updated due to job update"
	StopMigrating    = "alloc is being migrated"
	StopLost         = "alloc is lost since its node is down"
	StopRescheduled  = "alloc was rescheduled because it failed"
	StopDuplicate    = "alloc has the same name as another allocation"
	StopNodeNotInJob = "alloc not needed since its node is not eligible for the job"
)

// RescheduleWindow is how early a failed allocation may be rescheduled
// before its computed reschedule time: delays shorter than this are not
// worth a follow-up evaluation.
const RescheduleWindow = time.Second

// Input is everything Reconcile looks at.
type Input struct {
	// JobID names the job; used when Job is nil (deregistered).
	JobID string
	// Job is the newest version of the job; nil when it no longer exists.
	// A job with Stop set has all its allocations stopped.
	Job *nomadlike.Job
	// Allocs are the job's allocations, terminal ones included.
	Allocs []*nomadlike.Allocation
	// TaintedNodes are the nodes of Allocs that are down, disconnected or
	// draining; a nil value means the node no longer exists (treated as down).
	TaintedNodes map[string]*nomadlike.Node
	// EvalID is the evaluation being processed: a failed allocation whose
	// FollowupEvalID is this evaluation is rescheduled now.
	EvalID string
	// Now is the time reschedule delays are measured against.
	Now time.Time
	// Deployments are the job's deployments, newest first (deploy.go).
	Deployments []*nomadlike.Deployment
}

// Placement is an allocation to create. Previous is the allocation it
// replaces (nil for KindNew); NodeID is set only for system jobs, whose
// placements target one node.
type Placement struct {
	Name      string
	Index     int
	TaskGroup *nomadlike.TaskGroup
	Kind      string
	Previous  *nomadlike.Allocation
	NodeID    string
	// Canary marks a canary; DeploymentID is the deployment the new
	// allocation joins ("" none).
	Canary       bool
	DeploymentID string
}

// Stop is an allocation to stop with the reason shown to the user and the
// client status to set ("" keeps the current one; lost for down nodes).
type Stop struct {
	Alloc        *nomadlike.Allocation
	Description  string
	ClientStatus string
}

// Delayed is a failed allocation to reschedule at At. NeedsFollowup is set
// when no follow-up evaluation was created for it yet.
type Delayed struct {
	Alloc         *nomadlike.Allocation
	At            time.Time
	NeedsFollowup bool
}

// Result is what should change. Every replacement placement (Kind other
// than KindNew) comes with the Stop of its Previous allocation, except
// reschedules of allocations that already stopped.
type Result struct {
	Place   []Placement
	Stop    []Stop
	InPlace []*nomadlike.Allocation // existing allocations to move to the new job version
	Delayed []Delayed
	// Desired counts the decisions per task group, for `job plan`.
	Desired map[string]*nomadlike.DesiredUpdates
	// Deployment is a deployment to create with the plan;
	// DeploymentUpdates cancel older ones; DeploymentID is the deployment
	// in-place updated allocations of deploying groups join (deploy.go).
	Deployment        *nomadlike.Deployment
	DeploymentUpdates []*nomadlike.DeploymentStatusUpdate
	DeploymentID      string
}

func (r *Result) desired(tg string) *nomadlike.DesiredUpdates {
	if r.Desired == nil {
		r.Desired = map[string]*nomadlike.DesiredUpdates{}
	}
	d := r.Desired[tg]
	if d == nil {
		d = &nomadlike.DesiredUpdates{}
		r.Desired[tg] = d
	}
	return d
}

func (r *Result) stop(a *nomadlike.Allocation, desc, clientStatus string) {
	r.Stop = append(r.Stop, Stop{Alloc: a, Description: desc, ClientStatus: clientStatus})
}

func (r *Result) replace(a *nomadlike.Allocation, tg *nomadlike.TaskGroup, kind, desc, clientStatus string) {
	r.stop(a, desc, clientStatus)
	r.Place = append(r.Place, Placement{Name: a.Name, Index: a.Index(), TaskGroup: tg, Kind: kind, Previous: a})
}

// Reconcile diffs a service or batch job against its allocations.
func Reconcile(in Input) *Result {
	r := &Result{}
	dep := newDeployment(in, r)
	byGroup := map[string][]*nomadlike.Allocation{}
	for _, a := range in.Allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}
	if in.Job == nil || in.Job.Stop {
		for _, name := range sortedKeys(byGroup) {
			stopAll(r, in, name, byGroup[name], StopJobStopped)
		}
		return r
	}
	for _, name := range sortedKeys(byGroup) {
		if in.Job.LookupTaskGroup(name) == nil {
			stopAll(r, in, name, byGroup[name], StopGroupRemoved)
		}
	}
	for _, tg := range in.Job.TaskGroups {
		reconcileGroup(r, in, dep, tg, byGroup[tg.Name])
	}
	gateDependents(r, in)
	r.DeploymentID = dep.id()
	return r
}

// stopAll stops every non-terminal allocation of a group.
func stopAll(r *Result, in Input, group string, allocs []*nomadlike.Allocation, desc string) {
	d := r.desired(group)
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		status := ""
		if nodeDown(in.TaintedNodes, a.NodeID) {
			status = nomadlike.AllocClientStatusLost
		}
		r.stop(a, desc, status)
		d.Stop++
	}
}

func nodeDown(tainted map[string]*nomadlike.Node, id string) bool {
	n, ok := tainted[id]
	if !ok {
		return false
	}
	return n == nil || n.Status == nomadlike.NodeStatusDown || n.Status == nomadlike.NodeStatusDisconnected
}

// occupies reports whether an allocation holds its name slot in job: it runs
// or will run, or it failed and awaits a reschedule decision, or (batch) it
// completed and must not run again. An allocation that finished (complete or
// failed) under an older version of the job holds nothing: submitting a
// changed batch job runs it again, as in Nomad, except the indexes a rerun
// of only the failed ones keeps.
func occupies(a *nomadlike.Allocation, job *nomadlike.Job) bool {
	switch {
	case a.DesiredStatus == nomadlike.AllocDesiredStatusStop || a.DesiredStatus == nomadlike.AllocDesiredStatusEvict:
		return false
	case a.ClientStatus == nomadlike.AllocClientStatusLost:
		return false
	case a.ClientTerminalStatus() && !sameVersion(a.Job, job):
		// `job rerun -failed` (nomadlike.JobRerun): a completed index it
		// does not list stays done.
		return a.ClientStatus == nomadlike.AllocClientStatusComplete && job.Rerun.KeepsCompleted(a.TaskGroup, a.Index())
	case a.ClientStatus == nomadlike.AllocClientStatusComplete:
		return job.Type == nomadlike.JobTypeBatch || job.Type == nomadlike.JobTypeSysBatch
	}
	return true
}

func reconcileGroup(r *Result, in Input, dep *deployment, tg *nomadlike.TaskGroup, allocs []*nomadlike.Allocation) {
	d := r.desired(tg.Name)
	start := len(r.Place)
	var roll *groupRollout
	if nomadlike.UpdateDeploys(in.Job, tg) {
		roll = &groupRollout{}
		allocs = dep.splitCanaries(r, allocs, roll)
		dep.rollout(tg, allocs, roll)
	}
	var destructive []*nomadlike.Allocation

	// Slots held, one allocation per name; duplicates are stopped.
	byName := map[string]*nomadlike.Allocation{}
	var held []*nomadlike.Allocation
	for _, a := range allocs {
		if !occupies(a, in.Job) {
			continue
		}
		prev, dup := byName[a.Name]
		if !dup {
			byName[a.Name] = a
			held = append(held, a)
			continue
		}
		keep, drop := prev, a
		if better(a, prev) {
			keep, drop = a, prev
		}
		byName[a.Name] = keep
		for i := range held {
			if held[i] == prev {
				held[i] = keep
			}
		}
		r.stop(drop, StopDuplicate, lostStatus(in, drop))
		d.Stop++
	}

	// Count shrink: stop the highest indexes first.
	sort.SliceStable(held, func(i, j int) bool { return indexOf(held[i]) < indexOf(held[j]) })
	if len(held) > tg.Count {
		for _, a := range held[tg.Count:] {
			r.stop(a, StopNotNeeded, lostStatus(in, a))
			d.Stop++
		}
		held = held[:tg.Count]
	}

	for _, a := range held {
		switch {
		case a.ClientStatus == nomadlike.AllocClientStatusComplete: // batch: done, never replaced
			d.Ignore++
		case a.ClientStatus == nomadlike.AllocClientStatusFailed:
			reschedule(r, in, tg, a, d)
		case nodeDown(in.TaintedNodes, a.NodeID):
			r.replace(a, tg, KindLost, StopLost, nomadlike.AllocClientStatusLost)
			d.Lost++
		case isTrue(a.DesiredTransition.Migrate):
			// Marked by the node drainer (server/drainer), at the pace of
			// the group's migrate block, or by an operator's alloc stop.
			// Unmarked allocations on a draining node stay until marked.
			r.replace(a, tg, KindMigrate, StopMigrating, "")
			d.Migrate++
		case !sameVersion(a.Job, in.Job):
			if TasksUpdated(in.Job, a.Job, tg.Name) {
				destructive = append(destructive, a)
			} else {
				r.InPlace = append(r.InPlace, a)
				d.InPlaceUpdate++
			}
		default:
			d.Ignore++
		}
	}

	updateDestructive(r, in, dep, tg, roll, destructive)

	// Fill the lowest free indexes.
	used := make(map[int]bool, len(held))
	for _, a := range held {
		used[a.Index()] = true
	}
	need := tg.Count - len(held)
	for i := 0; need > 0; i++ {
		if used[i] {
			continue
		}
		r.Place = append(r.Place, Placement{
			Name: nomadlike.AllocName(in.Job.ID, tg.Name, i), Index: i, TaskGroup: tg, Kind: KindNew,
		})
		d.Place++
		need--
	}
	if roll != nil {
		joinDeployment(r, in, dep, tg, start)
	}
}

// updateDestructive replaces the allocations that need a destructive
// update: all of them when the group does not deploy, else canaries first
// and then at most the rollout's limit, lowest indexes first.
func updateDestructive(r *Result, in Input, dep *deployment, tg *nomadlike.TaskGroup, roll *groupRollout, destructive []*nomadlike.Allocation) {
	d := r.desired(tg.Name)
	n := len(destructive)
	if roll != nil {
		if dep.placeCanaries(in, r, tg, roll, destructive) {
			n = 0
		} else {
			n = min(n, roll.limit)
		}
		sort.SliceStable(destructive, func(i, j int) bool { return indexOf(destructive[i]) < indexOf(destructive[j]) })
	}
	for i, a := range destructive {
		if i >= n {
			d.Ignore++
			continue
		}
		r.replace(a, tg, KindDestructive, StopUpdated, "")
		d.DestructiveUpdate++
	}
}

// joinDeployment makes the group's placements from index start on join
// the deployment, creating the current version's deployment when new
// allocations of that version are placed and it has none.
func joinDeployment(r *Result, in Input, dep *deployment, tg *nomadlike.TaskGroup, start int) {
	for _, p := range r.Place[start:] {
		if p.Kind == KindNew || p.Kind == KindDestructive || p.Kind == KindCanary {
			dep.ensure(in, r, tg)
			break
		}
	}
	id := dep.id()
	for i := start; i < len(r.Place); i++ {
		r.Place[i].DeploymentID = id
	}
}

// better reports whether a should be kept over b when both hold one name:
// a live allocation beats a finished one, then the newer one wins.
func better(a, b *nomadlike.Allocation) bool {
	al, bl := !a.ClientTerminalStatus(), !b.ClientTerminalStatus()
	if al != bl {
		return al
	}
	if a.CreateIndex != b.CreateIndex {
		return a.CreateIndex > b.CreateIndex
	}
	return a.ID > b.ID
}

func lostStatus(in Input, a *nomadlike.Allocation) string {
	if !a.ClientTerminalStatus() && nodeDown(in.TaintedNodes, a.NodeID) {
		return nomadlike.AllocClientStatusLost
	}
	return ""
}

// indexOf sorts allocations without a parseable index last, so a shrink
// stops them first.
func indexOf(a *nomadlike.Allocation) int {
	if i := a.Index(); i >= 0 {
		return i
	}
	return int(^uint(0) >> 1)
}

func isTrue(b *bool) bool { return b != nil && *b }

// sameVersion reports whether an allocation runs the job's current version.
// An allocation without its job is taken as current.
func sameVersion(old, cur *nomadlike.Job) bool {
	if old == nil {
		return true
	}
	return old.Version == cur.Version && old.CreateIndex == cur.CreateIndex &&
		old.JobModifyIndex == cur.JobModifyIndex
}

func reschedule(r *Result, in Input, tg *nomadlike.TaskGroup, a *nomadlike.Allocation, d *nomadlike.DesiredUpdates) {
	if in.EvalID != "" && a.FollowupEvalID == in.EvalID {
		r.replace(a, tg, KindReschedule, StopRescheduled, "")
		d.Reschedule++
		return
	}
	at, ok := RescheduleTime(a, tg.ReschedulePolicy, in.Now)
	switch {
	case !ok:
		d.Ignore++ // attempts used up: the failed allocation stays
	case !at.After(in.Now.Add(RescheduleWindow)):
		r.replace(a, tg, KindReschedule, StopRescheduled, "")
		d.Reschedule++
	default:
		r.Delayed = append(r.Delayed, Delayed{Alloc: a, At: at, NeedsFollowup: a.FollowupEvalID == ""})
		d.Ignore++
	}
}

// RescheduleTime returns when a failed allocation may be replaced under
// policy, and false when it may not be (no policy, or the attempts within
// the policy's interval are used up).
func RescheduleTime(a *nomadlike.Allocation, p *nomadlike.ReschedulePolicy, now time.Time) (time.Time, bool) {
	if p == nil || (!p.Unlimited && p.Attempts <= 0) {
		return time.Time{}, false
	}
	var events []*nomadlike.RescheduleEvent
	if a.RescheduleTracker != nil {
		events = a.RescheduleTracker.Events
	}
	if !p.Unlimited {
		recent := 0
		for _, e := range events {
			if p.Interval <= 0 || now.Sub(time.Unix(0, e.RescheduleTime)) < p.Interval {
				recent++
			}
		}
		if recent >= p.Attempts {
			return time.Time{}, false
		}
	}
	var prev time.Duration
	if n := len(events); n > 0 {
		prev = time.Duration(events[n-1].Delay)
	}
	delay := p.NextDelay(prev, len(events))
	return FailedAt(a).Add(delay), true
}

// FailedAt is when an allocation failed: the latest task finish time, else
// its last modification.
func FailedAt(a *nomadlike.Allocation) time.Time {
	var last time.Time
	for _, ts := range a.TaskStates {
		if ts != nil && ts.FinishedAt.After(last) {
			last = ts.FinishedAt.Time
		}
	}
	if last.IsZero() {
		return time.Unix(0, a.ModifyTime)
	}
	return last
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
