package reconcile

import (
	"sort"

	"github.com/nomadlike/nomadlike/nomadlike"
)

// KindCanary is a canary: a new-version allocation placed beside the old
// ones (it replaces nothing until its deployment is promoted).
const KindCanary = "canary"

// StopCanaryOld stops the canaries of a deployment that was replaced
// before they were promoted.
const StopCanaryOld = "alloc not needed as it is a canary of an older deployment"

// deployment is the deployment view of one reconciliation: the job's
// deployments, the current version's (nil when none yet) and the one
// being created.
type deployment struct {
	byID map[string]*nomadlike.Deployment
	cur  *nomadlike.Deployment // deployment of the job's current version, may be terminal
	next *nomadlike.Deployment // created by this reconciliation
}

func newDeployment(in Input, r *Result) *deployment {
	d := &deployment{byID: map[string]*nomadlike.Deployment{}}
	for _, dep := range in.Deployments {
		d.byID[dep.ID] = dep
	}
	var latest *nomadlike.Deployment
	if len(in.Deployments) > 0 {
		latest = in.Deployments[0]
	}
	switch {
	case latest == nil:
	case in.Job == nil || in.Job.Stop:
		if latest.Active() {
			r.DeploymentUpdates = append(r.DeploymentUpdates, &nomadlike.DeploymentStatusUpdate{
				DeploymentID: latest.ID, Status: nomadlike.DeploymentStatusCancelled,
				StatusDescription: nomadlike.DeploymentDescStoppedJob,
			})
		}
	case latest.ForJob(in.Job):
		d.cur = latest
	case latest.Active():
		r.DeploymentUpdates = append(r.DeploymentUpdates, &nomadlike.DeploymentStatusUpdate{
			DeploymentID: latest.ID, Status: nomadlike.DeploymentStatusCancelled,
			StatusDescription: nomadlike.DeploymentDescNewerJob,
		})
	}
	return d
}

// id is the deployment new allocations join: the one being created or the
// current active one ("" when none).
func (d *deployment) id() string {
	if d.next != nil {
		return d.next.ID
	}
	if d.cur.Active() {
		return d.cur.ID
	}
	return ""
}

// ensure returns the deployment state of group tg, creating the
// deployment of the current version when it has none.
func (d *deployment) ensure(in Input, r *Result, tg *nomadlike.TaskGroup) *nomadlike.DeploymentState {
	if d.cur != nil {
		return d.cur.TaskGroups[tg.Name]
	}
	if d.next == nil {
		d.next = nomadlike.NewDeployment(in.Job, in.Now)
		r.Deployment = d.next
	}
	return d.next.TaskGroups[tg.Name]
}

// promoted reports whether alloc's group was promoted in its deployment
// (an allocation of a deployment already collected counts as promoted).
func (d *deployment) promoted(a *nomadlike.Allocation) bool {
	dep := d.byID[a.DeploymentID]
	if dep == nil {
		return true
	}
	g := dep.TaskGroups[a.TaskGroup]
	return g == nil || g.Promoted
}

// groupRollout is the rolling-update state of one group that deploys.
type groupRollout struct {
	canaries []*nomadlike.Allocation // live canaries of the current deployment, not promoted
	limit    int                     // destructive updates allowed now
	blocked  bool                    // paused, failed, or waiting for a promotion
}

// splitCanaries takes the live, unpromoted canaries out of allocs: those
// of the current deployment go to the rollout (they hold no name slot
// until promoted), those of older deployments are stopped.
func (d *deployment) splitCanaries(r *Result, allocs []*nomadlike.Allocation, g *groupRollout) []*nomadlike.Allocation {
	out := allocs[:0:0]
	for _, a := range allocs {
		if !a.DeploymentStatus.IsCanary() || a.TerminalStatus() || d.promoted(a) {
			out = append(out, a)
			continue
		}
		if d.cur != nil && a.DeploymentID == d.cur.ID {
			g.canaries = append(g.canaries, a)
			continue
		}
		r.stop(a, StopCanaryOld, "")
		r.desired(a.TaskGroup).Stop++
	}
	return out
}

// rollout computes how far group tg's rolling update may go now
// (Nomad's limit: max_parallel minus the allocations of the deployment
// not yet healthy; nothing while one is unhealthy, the deployment is
// paused or failed, or canaries wait for promotion).
func (d *deployment) rollout(tg *nomadlike.TaskGroup, allocs []*nomadlike.Allocation, g *groupRollout) {
	g.limit = tg.Update.MaxParallel
	cur := d.cur
	if cur == nil {
		return
	}
	switch cur.Status {
	case nomadlike.DeploymentStatusRunning, nomadlike.DeploymentStatusSuccessful:
	default:
		g.limit, g.blocked = 0, true
		return
	}
	if st := cur.TaskGroups[tg.Name]; st != nil && st.DesiredCanaries > 0 && !st.Promoted {
		g.limit, g.blocked = 0, true
		return
	}
	for _, a := range allocs {
		if a.DeploymentID != cur.ID || a.TerminalStatus() || a.DeploymentStatus.IsCanary() && !d.promoted(a) {
			continue
		}
		switch {
		case a.DeploymentStatus.IsUnhealthy():
			g.limit = 0
			return
		case !a.DeploymentStatus.IsHealthy():
			g.limit--
		}
	}
	if g.limit < 0 {
		g.limit = 0
	}
}

// placeCanaries places the group's missing canaries when it has
// destructive updates to make and no promotion yet, named after the
// allocations they will replace (lowest indexes first). It returns
// whether the group is in its canary phase.
func (d *deployment) placeCanaries(in Input, r *Result, tg *nomadlike.TaskGroup, g *groupRollout, destructive []*nomadlike.Allocation) bool {
	want := tg.Update.Canary
	if want == 0 || (len(destructive) == 0 && len(g.canaries) == 0) {
		return false
	}
	if d.cur != nil {
		st := d.cur.TaskGroups[tg.Name]
		if st == nil || st.Promoted || (st.DesiredCanaries == 0 && len(g.canaries) == 0) {
			return false
		}
		if d.cur.Status != nomadlike.DeploymentStatusRunning {
			return true
		}
	} else {
		d.ensure(in, r, tg).DesiredCanaries = want
		d.next.StatusDescription = d.next.RunningDescription()
	}
	sort.SliceStable(destructive, func(i, j int) bool { return indexOf(destructive[i]) < indexOf(destructive[j]) })
	have := map[string]bool{}
	for _, c := range g.canaries {
		have[c.Name] = true
	}
	dd := r.desired(tg.Name)
	missing := want - len(g.canaries)
	for i := 0; missing > 0; i++ {
		name, idx := "", i
		if i < len(destructive) {
			name, idx = destructive[i].Name, destructive[i].Index()
		} else {
			name = nomadlike.AllocName(in.Job.ID, tg.Name, i)
		}
		if have[name] {
			continue
		}
		have[name] = true
		r.Place = append(r.Place, Placement{Name: name, Index: idx, TaskGroup: tg, Kind: KindCanary,
			Canary: true, DeploymentID: d.id()})
		dd.Canary++
		missing--
	}
	return true
}
